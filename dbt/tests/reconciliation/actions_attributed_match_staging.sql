-- Every action of every family is in int_actions_attributed exactly once (attributed or with a
-- reason), and nothing else is: attributed + unattributed = all actions.
{{ config(meta={'dagster': {'ref': {'name': 'int_actions_attributed'}}}) }}

with staged as (

    select action_id from {{ ref('stg_lake__generation_actions') }} where {{ in_test_window('ingest_date') }}
    union all
    select build_id from {{ ref('stg_lake__builds') }} where {{ in_test_window('ingest_date') }}
    union all
    select app_event_id from {{ ref('stg_lake__app_events') }} where {{ in_test_window('ingest_date') }}
    union all
    select feedback_id from {{ ref('stg_lake__feedback') }} where {{ in_test_window('ingest_date') }}

),

modelled as (

    select action_id from {{ ref('int_actions_attributed') }}
    where {{ in_test_window('ingest_date') }}

)

(select action_id, 'missing from int_actions_attributed' as problem from staged
 except all select action_id, 'missing from int_actions_attributed' from modelled)
union all
(select action_id, 'not a staged action' as problem from modelled
 except all select action_id, 'not a staged action' from staged)
