{{ config(materialized='view') }}

-- The actions no generation could be credited with: counted, never silently dropped.
with attributed as (

    select * from {{ ref('int_actions_attributed') }}

)

select
    action_id,
    action_type,
    occurred_at,
    ingest_date,
    workspace_id,
    user_id,
    session_id,
    turn_id,
    response_id,
    unattributed_reason
from attributed
where generation_id is null
