with source as (

    select * from {{ source('lake', 'ingest_files') }}

),

renamed as (

    select
        cast(source as varchar) as event_source,
        cast(ingest_date as date) as ingest_date,
        source_file,
        file_bytes,
        lines_read,
        loaded,
        quarantined,
        duplicates
    from source

)

select * from renamed
