{#-
  One row per session (conversation): how it went as a whole. Did the user reach a working
  build, publish, or walk away; how many turns and regenerations it took.

  The sum of the session's days in int_session_days (every count adds up, every first is the
  earliest, every last the latest): a run recomputes the sessions that received an event in its
  window, from all of their days.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='session_id',
        meta={'test_window_column': 'last_ingest_date'},
    )
}}

with

{% if run_window_is_set() %}
touched_session_days as materialized (

    -- which days each touched session has, read from the two narrow key columns; the wide rows
    -- are then fetched by (day, session), so DuckDB skips the row groups of days before the
    -- touched sessions' first (the table is in day order)
    select ingest_date, session_id
    from {{ ref('int_session_days') }}
    semi join ({{ touched_sessions([ref('int_session_days')]) }}) as touched using (session_id)

),
{% endif %}

session_days as (

    select * from {{ ref('int_session_days') }}
    {% if run_window_is_set() %}
    semi join touched_session_days using (ingest_date, session_id)
    {% endif %}

),

summed as (

    select
        session_id,
        min(first_event) as first_event,
        min(first_prompt) as first_prompt,
        min(first_generation_at) as first_generation_at,
        min(first_action_at) as first_action_at,
        max(last_generation) as last_generation,
        coalesce(sum(prompts), 0) as turns,
        coalesce(sum(generations), 0) as generations,
        coalesce(sum(regenerations), 0) as regenerations,
        coalesce(sum(generations_accepted), 0) as generations_accepted,
        coalesce(sum(generations_succeeded), 0) as generations_succeeded,
        coalesce(sum(generations_failed), 0) as generations_failed,
        coalesce(sum(generations_unknown), 0) as generations_unknown,
        min(first_success_turn_index) as first_success_turn_index,
        coalesce(sum(builds), 0) as builds,
        min(first_working_build_at) as first_working_build_at,
        coalesce(bool_or(is_published), false) as is_published,
        coalesce(bool_or(is_published_to_production), false) as is_published_to_production,
        coalesce(sum(unattributed_actions), 0) as unattributed_actions,
        coalesce(sum(input_tokens), 0) as input_tokens,
        coalesce(sum(output_tokens), 0) as output_tokens,
        max(last_action_at) as last_action_at,
        max(ingest_date) as last_ingest_date
    from session_days
    group by session_id

),

final as (

    select
        session_id,
        -- who: from the first prompt, else the first generation, else the first action
        first_event.workspace_id,
        first_event.user_id,
        first_event.app_id,
        first_prompt.intent as first_prompt_intent,

        turns,
        generations,
        regenerations,
        generations_accepted,
        generations_succeeded,
        generations_failed,
        generations_unknown,
        -- turns are counted from 1 here: "it took 2 turns" means the second prompt succeeded
        first_success_turn_index + 1 as turns_to_first_success,
        last_generation.label as last_generation_label,

        first_working_build_at is not null as reached_working_build,
        first_working_build_at,
        builds,
        is_published,
        is_published_to_production,
        unattributed_actions,
        -- the user left without keeping the last answer and without publishing
        not is_published and coalesce(last_generation.label, 'unknown') <> 'success' as is_abandoned,

        input_tokens,
        output_tokens,
        least(first_prompt.at, first_generation_at, first_action_at) as started_at,
        greatest(first_prompt.at, last_generation.at, last_action_at) as last_activity_at,
        cast(least(first_prompt.at, first_generation_at, first_action_at) as date) as session_date,
        last_ingest_date
    from summed

)

select * from final
order by last_ingest_date, session_id
