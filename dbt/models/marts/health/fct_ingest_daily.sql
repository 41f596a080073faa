{#- What ingest did per arrival day and source: files, lines, loaded, quarantined, duplicates. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window('ingest_date') }}",
    )
}}

with files as (

    select * from {{ ref('stg_lake__ingest_files') }}
    where {{ in_run_window('ingest_date') }}

),

final as (

    select
        ingest_date,
        event_source,
        count(*) as files,
        sum(file_bytes) as file_bytes,
        sum(lines_read) as lines_read,
        sum(loaded) as loaded,
        sum(quarantined) as quarantined,
        sum(duplicates) as duplicates,
        {{ safe_rate('sum(quarantined)', 'sum(lines_read)') }} as quarantine_rate
    from files
    group by ingest_date, event_source

)

select * from final
order by ingest_date, event_source
