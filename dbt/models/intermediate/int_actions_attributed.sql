{#-
  Every user action (generation actions, builds, preview/publish, feedback) with the generation
  it is attributed to, or the reason it has none. The attribution rule is documented in
  _intermediate.yml; in short:

    1. an explicit response_id wins: the generation with that response_id;
    2. otherwise the latest generation of the same session and turn completed at or before the
       action, at most attribution_window_minutes before it;
    3. either way the two files must have arrived at most L = attribution_lookback_days apart.

  Incremental: a run over arrival days [min, max] re-attributes the actions arriving in
  [min - L, max + L] of every turn that received an event in [min, max].
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete_insert_in_window',
        unique_key='action_id',
        window_predicates=[{'recomputed_from': 'ingest_date', 'days_before': var('attribution_lookback_days')}],
        pre_hook="{{ delete_run_window('ingest_date') }}",
        meta={'test_window_column': 'ingest_date'},
    )
}}

{%- set L = lookback_days() -%}
{%- set window_minutes = var('attribution_window_minutes') | int -%}

with generation_actions as (

    select
        action_id,
        action_type,
        occurred_at,
        ingest_date,
        workspace_id,
        user_id,
        session_id,
        app_id,
        turn_id,
        response_id,
        reject_reason,
        edit_lines_added,
        edit_lines_removed
    from {{ ref('stg_lake__generation_actions') }}
    where {{ in_run_window('ingest_date', L, L) }}

),

builds as (

    select
        build_id as action_id,
        'build' as action_type,
        completed_at as occurred_at,
        ingest_date,
        workspace_id,
        user_id,
        session_id,
        app_id,
        turn_id,
        response_id,
        build_status,
        build_error_class
    from {{ ref('stg_lake__builds') }}
    where {{ in_run_window('ingest_date', L, L) }}

),

app_events as (

    select
        app_event_id as action_id,
        app_event_type as action_type,
        occurred_at,
        ingest_date,
        workspace_id,
        user_id,
        session_id,
        app_id,
        turn_id,
        response_id,
        deploy_target
    from {{ ref('stg_lake__app_events') }}
    where {{ in_run_window('ingest_date', L, L) }}

),

feedback as (

    select
        feedback_id as action_id,
        'feedback' as action_type,
        occurred_at,
        ingest_date,
        workspace_id,
        user_id,
        session_id,
        app_id,
        turn_id,
        response_id,
        evaluation_name,
        score_value,
        is_thumbs_up,
        rating
    from {{ ref('stg_lake__feedback') }}
    where {{ in_run_window('ingest_date', L, L) }}

),

actions as (

    select * from generation_actions
    union all by name
    select * from builds
    union all by name
    select * from app_events
    union all by name
    select * from feedback

),

generations as (

    -- every generation an action of the run could be attributed to
    select generation_id, response_id, session_id, turn_id, completed_at, ingest_date
    from {{ ref('stg_lake__generations') }}
    where {{ in_run_window('ingest_date', 2 * L, 2 * L) }}

),

{% if run_window_is_set() %}
touched_turns as (

    {{ touched_turns(['actions', 'generations'], 'generations') }}

),

actions_in_scope as (

    select actions.*
    from actions
    where exists (
            select 1 from touched_turns
            where touched_turns.session_id = actions.session_id
                and touched_turns.turn_id = actions.turn_id
        )
        or actions.response_id in (
            select generations.response_id
            from generations
            semi join touched_turns using (session_id, turn_id)
        )

),
{% else %}
actions_in_scope as (

    select * from actions

),
{% endif %}

by_response_id as (

    select
        actions.action_id,
        generations.generation_id,
        generations.completed_at as generation_completed_at
    from actions_in_scope as actions
    inner join generations
        on actions.response_id = generations.response_id
        and abs(date_diff('day', generations.ingest_date, actions.ingest_date)) <= {{ L }}
    qualify row_number() over (
        partition by actions.action_id
        order by generations.completed_at, generations.generation_id
    ) = 1

),

by_session_turn as (

    select
        actions.action_id,
        generations.generation_id,
        generations.completed_at as generation_completed_at
    from actions_in_scope as actions
    inner join generations
        on actions.session_id = generations.session_id
        and actions.turn_id = generations.turn_id
        and generations.completed_at <= actions.occurred_at
        and actions.occurred_at <= generations.completed_at + interval {{ window_minutes }} minute
        and abs(date_diff('day', generations.ingest_date, actions.ingest_date)) <= {{ L }}
    where actions.response_id is null
    qualify row_number() over (
        partition by actions.action_id
        order by generations.completed_at desc, generations.generation_id desc
    ) = 1

),

turns_with_generations as (

    select distinct actions.action_id
    from actions_in_scope as actions
    inner join generations
        on actions.session_id = generations.session_id
        and actions.turn_id = generations.turn_id
        and abs(date_diff('day', generations.ingest_date, actions.ingest_date)) <= {{ L }}
    where actions.response_id is null

),

attributed as (

    select
        actions.*,
        coalesce(by_response_id.generation_id, by_session_turn.generation_id) as generation_id,
        coalesce(
            by_response_id.generation_completed_at, by_session_turn.generation_completed_at
        ) as generation_completed_at,
        case
            when by_response_id.generation_id is not null then 'response_id'
            when by_session_turn.generation_id is not null then 'session_turn'
        end as attribution_method,
        case
            when coalesce(by_response_id.generation_id, by_session_turn.generation_id) is not null
                then null
            when actions.response_id is not null then 'response_id_not_found'
            when turns_with_generations.action_id is null then 'no_generation_in_turn'
            else 'no_generation_before_action'
        end as unattributed_reason
    from actions_in_scope as actions
    left join by_response_id using (action_id)
    left join by_session_turn using (action_id)
    left join turns_with_generations using (action_id)

),

final as (

    select
        action_id,
        action_type,
        occurred_at,
        ingest_date,
        workspace_id,
        user_id,
        session_id,
        app_id,
        turn_id,
        response_id,
        generation_id,
        attribution_method,
        unattributed_reason,
        generation_completed_at,
        date_diff('millisecond', generation_completed_at, occurred_at) / 1000.0
            as seconds_after_generation,
        reject_reason,
        edit_lines_added,
        edit_lines_removed,
        build_status,
        build_error_class,
        deploy_target,
        evaluation_name,
        score_value,
        is_thumbs_up,
        rating
    from attributed

)

select * from final
order by ingest_date, session_id, turn_id, occurred_at, action_id
