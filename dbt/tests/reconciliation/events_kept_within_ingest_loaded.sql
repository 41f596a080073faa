-- The warehouse never holds more events for a day than ingest loaded that day (it can hold
-- fewer: a re-send of an event first loaded on an earlier day is dropped).
{{ config(meta={'dagster': {'ref': {'name': 'fct_events_daily'}}}) }}

with kept as (

    select ingest_date, sum(events) as events
    from {{ ref('fct_events_daily') }}
    where {{ in_test_window('ingest_date') }}
    group by ingest_date

),

loaded as (

    select ingest_date, loaded
    from {{ ref('fct_ingest_daily') }}
    where event_source = 'events' and {{ in_test_window('ingest_date') }}

)

select kept.ingest_date, kept.events, loaded.loaded
from kept
left join loaded using (ingest_date)
where kept.events > coalesce(loaded.loaded, 0)
