{#-
  Every (workspace, user) pair seen in any event, with when it was first and last seen.

  Incremental by merging: a run takes the pairs of its window and keeps the earliest first_seen
  and the latest last_seen of what it computed and what the table held. min and max do not care
  about order or repetition, so re-running a day or loading days out of order gives the same rows.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['workspace_id', 'user_id'],
    )
}}

with events as (

    select workspace_id, user_id, occurred_at
    from {{ ref('base_lake__events') }}
    where {{ in_run_window('ingest_date') }}

),

arrived as (

    select
        workspace_id,
        user_id,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at
    from events
    group by workspace_id, user_id

),

{% if is_incremental() %}
merged as (

    select
        arrived.workspace_id,
        arrived.user_id,
        least(arrived.first_seen_at, known.first_seen_at) as first_seen_at,
        greatest(arrived.last_seen_at, known.last_seen_at) as last_seen_at
    from arrived
    left join {{ this }} as known using (workspace_id, user_id)

)
{% else %}
merged as (

    select * from arrived

)
{% endif %}

select * from merged
order by workspace_id, user_id
