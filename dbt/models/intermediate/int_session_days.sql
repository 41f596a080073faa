{#-
  Each session's activity per arrival day: partial aggregates (counts, firsts, lasts) of its
  prompts, generations and actions that arrived that day. fct_sessions adds them up over all of a
  session's days, so a session is a pure function of its rows whatever order days run in, and a
  daily run reads the session's few narrow rows here instead of its full history everywhere.

  Narrow on purpose: the rows of the last days are rewritten daily (recomputed, then compacted by
  DuckDB's checkpoint), so each id string costs every day. Who the session belongs to is kept once
  (first_event: the first prompt's workspace, user and app, else the first generation's, else the
  first action's; the contract requires all three on these events), firsts and lasts are kept as
  times, and min/max over values alone are deterministic without the events' ids.

  Incremental: a run recomputes, for every session with an event in its window, the days
  [min - L, max + L] (the days whose generations and actions the run may have recomputed).
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete_insert_in_window',
        unique_key=['session_id', 'ingest_date'],
        window_predicates=[
            {'recomputed_from': 'DBT_INCREMENTAL_TARGET.ingest_date', 'days_before': var('attribution_lookback_days')}
        ],
        pre_hook=[
            "{{ delete_run_window('ingest_date') }}",
            "{{ delete_touched_session_days([ref('stg_lake__prompts'), ref('fct_generations'), ref('int_actions_attributed')], lookback_days()) }}",
        ],
    )
}}

{%- set L = lookback_days() %}

with prompts as (

    select * from {{ ref('stg_lake__prompts') }}
    where {{ in_run_window('ingest_date', L, L) }}

),

generations as (

    select * from {{ ref('fct_generations') }}
    where {{ in_run_window('ingest_date', L, L) }}

),

actions as (

    select * from {{ ref('int_actions_attributed') }}
    where {{ in_run_window('ingest_date', L, L) }}

),

{% if run_window_is_set() %}
touched_sessions as (

    {{ touched_sessions(['prompts', 'generations', 'actions']) }}

),
{% endif %}

prompt_days as (

    select
        session_id,
        ingest_date,
        count(*) as prompts,
        min({'at': submitted_at, 'intent': prompt_intent}) as first_prompt,
        min({{ session_first_event(0, 'submitted_at') }}) as first_event
    from prompts
    {% if run_window_is_set() %} semi join touched_sessions using (session_id) {% endif %}
    group by session_id, ingest_date

),

generation_days as (

    select
        session_id,
        ingest_date,
        count(*) as generations,
        count(*) filter (where is_regenerated) as regenerations,
        count(*) filter (where is_accepted) as generations_accepted,
        count(*) filter (where outcome_label = 'success') as generations_succeeded,
        count(*) filter (where outcome_label = 'failure') as generations_failed,
        count(*) filter (where outcome_label = 'unknown') as generations_unknown,
        min(turn_index) filter (where outcome_label = 'success') as first_success_turn_index,
        min(completed_at) as first_generation_at,
        max({'at': completed_at, 'label': outcome_label}) as last_generation,
        min({{ session_first_event(1, 'completed_at') }}) as first_event,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens
    from generations
    {% if run_window_is_set() %} semi join touched_sessions using (session_id) {% endif %}
    group by session_id, ingest_date

),

action_days as (

    select
        session_id,
        ingest_date,
        count(*) filter (where action_type = 'build') as builds,
        min(occurred_at) filter (where action_type = 'build' and build_status = 'succeeded')
            as first_working_build_at,
        bool_or(action_type = 'published') as is_published,
        bool_or(action_type = 'published' and deploy_target = 'production') as is_published_to_production,
        count(*) filter (where generation_id is null) as unattributed_actions,
        min(occurred_at) as first_action_at,
        max(occurred_at) as last_action_at,
        min({{ session_first_event(2, 'occurred_at') }}) as first_event
    from actions
    {% if run_window_is_set() %} semi join touched_sessions using (session_id) {% endif %}
    group by session_id, ingest_date

),

final as (

    select
        session_id,
        ingest_date,
        prompt_days.* exclude (session_id, ingest_date, first_event),
        generation_days.* exclude (session_id, ingest_date, first_event),
        action_days.* exclude (session_id, ingest_date, first_event),
        -- least() skips the kinds the day has none of
        least(prompt_days.first_event, generation_days.first_event, action_days.first_event) as first_event
    from prompt_days
    full outer join generation_days using (session_id, ingest_date)
    full outer join action_days using (session_id, ingest_date)

)

select * from final
order by ingest_date, session_id
