-- Whose session it is: on every arrival day with prompts, int_session_days names the workspace,
-- user and app of that day's first prompt (prompts outrank generations and actions, however
-- early those came); fct_sessions takes the earliest of its days (checked by the unit test).
{{ config(meta={'dagster': {'ref': {'name': 'int_session_days'}}}) }}

with first_prompts as (

    select
        session_id,
        ingest_date,
        min({'at': submitted_at, 'workspace_id': workspace_id, 'user_id': user_id, 'app_id': app_id})
            as first_prompt
    from {{ ref('stg_lake__prompts') }}
    where {{ in_test_window('ingest_date') }}
    group by session_id, ingest_date

),

session_days as (

    select session_id, ingest_date, first_event
    from {{ ref('int_session_days') }}
    where {{ in_test_window('ingest_date') }}

)

select session_id, ingest_date, first_prompt, first_event
from first_prompts
left join session_days using (session_id, ingest_date)
where first_event is null
   or first_event.kind_rank <> 0
   or first_event.at <> first_prompt.at
   or first_event.workspace_id <> first_prompt.workspace_id
   or first_event.user_id <> first_prompt.user_id
   or first_event.app_id <> first_prompt.app_id
