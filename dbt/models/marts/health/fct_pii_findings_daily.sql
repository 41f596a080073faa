{#- What the scrubber found per arrival day, field and entity type (counts, never values). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window('ingest_date') }}",
    )
}}

with findings as (

    select * from {{ ref('stg_lake__pii_findings') }}
    where {{ in_run_window('ingest_date') }}

),

final as (

    select
        ingest_date,
        field,
        entity_type,
        sum(findings) as findings
    from findings
    group by ingest_date, field, entity_type

)

select * from final
order by ingest_date, field, entity_type
