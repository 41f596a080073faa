{#- Quarantined landing lines per arrival day, source and reason code. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window('ingest_date') }}",
    )
}}

with quarantined as (

    select * from {{ ref('stg_lake__quarantined_lines') }}
    where {{ in_run_window('ingest_date') }}

),

final as (

    select
        ingest_date,
        event_source,
        reason_code,
        count(*) as lines,
        count(distinct source_file) as files,
        sum(byte_length) as bytes
    from quarantined
    group by ingest_date, event_source, reason_code

)

select * from final
order by ingest_date, event_source, reason_code
