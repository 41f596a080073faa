{#- Written by the privacy stage; empty (not failing) on a home where it has not run yet. -#}
{% if lake_table_has_files('ops/pii_findings/ingest_date=*/*.parquet') %}

with source as (

    select * from {{ source('lake', 'pii_findings') }}

),

renamed as (

    select
        cast(ingest_date as date) as ingest_date,
        cast(field as varchar) as field,
        cast(entity_type as varchar) as entity_type,
        cast(findings as bigint) as findings
    from source

)

select * from renamed

{% else %}

select
    cast(null as date) as ingest_date,
    cast(null as varchar) as field,
    cast(null as varchar) as entity_type,
    cast(null as bigint) as findings
where false

{% endif %}
