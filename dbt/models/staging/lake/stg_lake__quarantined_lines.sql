with source as (

    select * from {{ source('lake', 'quarantine') }}

),

renamed as (

    select
        cast(source as varchar) as event_source,
        cast(ingest_date as date) as ingest_date,
        source_file,
        line_number,
        reason_code,
        reason,
        byte_length
    from source

)

select * from renamed
