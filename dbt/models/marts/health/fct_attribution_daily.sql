{#-
  How actions were attributed, per arrival day of the action: by response_id, by session and turn,
  or not at all (and why). Recomputed for the days whose attribution the run could change.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='ingest_date',
    )
}}

{%- set L = lookback_days() %}

with actions as (

    select * from {{ ref('int_actions_attributed') }}
    where {{ in_run_window('ingest_date', L, L) }}

),

final as (

    select
        ingest_date,
        action_type,
        coalesce(attribution_method, 'unattributed') as attribution,
        coalesce(unattributed_reason, '') as unattributed_reason,
        count(*) as actions
    from actions
    group by all

)

select * from final
order by ingest_date, action_type, attribution, unattributed_reason
