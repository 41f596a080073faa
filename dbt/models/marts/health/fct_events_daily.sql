{#-
  Interaction events in the warehouse per arrival day and event type (after all deduplication).
  Recomputed from the run's first day on: loading a day after later ones removes re-sent copies
  from those later days.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where {{ from_run_window_on('ingest_date') }}{% else %}select 1{% endif %}",
    )
}}

with events as (

    select * from {{ ref('base_lake__events') }}
    where {{ from_run_window_on('ingest_date') }}

),

final as (

    select
        ingest_date,
        event_type,
        count(*) as events,
        count(*) filter (where cast(occurred_at as date) < ingest_date) as late_events,
        count(distinct session_id) as sessions,
        count(distinct user_id) as users,
        min(occurred_at) as first_occurred_at,
        max(occurred_at) as last_occurred_at
    from events
    group by ingest_date, event_type

)

select * from final
order by ingest_date, event_type
