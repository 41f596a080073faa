{#-
  One row per generation: who, where, which model, what it cost in tokens and time, every
  signal of what the user did next, the success score and the outcome label training sets
  filter on. The score and the label are defined here and nowhere else (see _signals.yml).
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete_insert_in_window',
        unique_key='generation_id',
        window_predicates=[{'recomputed_from': 'ingest_date', 'days_before': var('attribution_lookback_days')}],
        pre_hook="{{ delete_run_window('ingest_date') }}",
        meta={'test_window_column': 'ingest_date'},
    )
}}

{%- set L = lookback_days() -%}
{%- set w = var('success_score_weights') %}
-- depends_on: {{ ref('int_actions_attributed') }}


with generations as (

    -- the generations the run may recompute (and, among them, those named by its actions)
    select * from {{ ref('stg_lake__generations') }}
    where {{ in_run_window('ingest_date', L, L) }}

),

prompts as (

    -- a generation's prompt arrived at most L days from it
    select prompt_id, session_id, turn_id, turn_index, prompt_intent, submitted_at, ingest_date
    from {{ ref('stg_lake__prompts') }}
    where {{ in_run_window('ingest_date', 2 * L, 2 * L) }}

),

{% if run_window_is_set() %}
arrived_actions as (

    select session_id, turn_id, response_id, ingest_date
    from {{ ref('int_actions_attributed') }}
    where {{ in_run_window('ingest_date') }}

),

arrived_prompts as (

    select session_id, turn_id, cast(null as varchar) as response_id, ingest_date
    from prompts

),

touched_turns as (

    {{ touched_turns(['arrived_actions', 'generations', 'arrived_prompts'], 'generations') }}

),

generations_in_scope as (

    select generations.*
    from generations
    semi join touched_turns using (session_id, turn_id)
    where {{ in_run_window('generations.ingest_date', L, L) }}

),
{% else %}
generations_in_scope as (

    select * from generations

),
{% endif %}

signals as (

    select * from {{ ref('int_generation_signals') }}
    where {{ in_run_window('ingest_date', L, L) }}

),

turn_prompts as (

    -- the prompt a generation answers: the first prompt of its turn (files at most L days apart)
    select
        generations.generation_id,
        prompts.prompt_id,
        prompts.prompt_intent,
        prompts.turn_index,
        prompts.submitted_at
    from generations_in_scope as generations
    inner join prompts
        on generations.session_id = prompts.session_id
        and generations.turn_id = prompts.turn_id
        and abs(date_diff('day', generations.ingest_date, prompts.ingest_date)) <= {{ L }}
    qualify row_number() over (
        partition by generations.generation_id
        order by prompts.submitted_at, prompts.prompt_id
    ) = 1

),

joined as (

    select
        generations.*,
        turn_prompts.prompt_id,
        coalesce(turn_prompts.prompt_intent, 'unknown') as prompt_intent,
        turn_prompts.turn_index,
        turn_prompts.submitted_at as prompt_submitted_at,
        signals.* exclude (generation_id, ingest_date)
    from generations_in_scope as generations
    inner join signals using (generation_id)
    left join turn_prompts using (generation_id)

),

scored as (

    select
        *,
        coalesce(rating >= 4, false) as is_rating_high,
        coalesce(rating <= 2, false) as is_rating_low,
        -- 0.5 is "no evidence"; each signal present moves the score by its weight
        least(1.0, greatest(0.0, 0.5
            + {{ w.accepted }} * is_accepted::int
            + {{ w.rejected }} * is_rejected::int
            + {{ w.regenerated }} * is_regenerated::int
            + {{ w.reverted }} * is_reverted::int
            + {{ w.build_succeeded }} * is_build_succeeded::int
            + {{ w.build_failed_unfixed }} * has_unfixed_build_failure::int
            + {{ w.previewed }} * is_previewed::int
            + {{ w.published }} * is_published::int
            + {{ w.thumbs_up }} * is_thumbs_up::int
            + {{ w.thumbs_down }} * is_thumbs_down::int
            + {{ w.rating_high }} * coalesce(rating >= 4, false)::int
            + {{ w.rating_low }} * coalesce(rating <= 2, false)::int
            + {{ w.edit_ratio }} * least(coalesce(edit_ratio, 0.0), 1.0)
        )) as success_score
    from joined

),

labelled as (

    select
        *,
        -- the first failure signal, in order of how unambiguous it is
        case
            when is_rejected then 'rejected'
            when is_reverted then 'reverted'
            when is_thumbs_down or is_rating_low then 'negative_feedback'
            when has_unfixed_build_failure then 'build_failed'
            when is_regenerated then 'regenerated'
        end as failure_reason,
        case
            when is_rejected or is_reverted or is_thumbs_down or is_rating_low
                or has_unfixed_build_failure or is_regenerated
                then 'failure'
            when is_accepted or is_thumbs_up or is_rating_high
                then 'success'
            else 'unknown'
        end as outcome_label
    from scored

),

final as (

    select
        generation_id,
        response_id,
        workspace_id,
        user_id,
        session_id,
        app_id,
        turn_id,
        turn_index,
        generation_number_in_turn,
        prompt_id,
        prompt_intent,

        operation_name,
        provider_name,
        request_model,
        response_model,
        input_tokens,
        output_tokens,
        cache_read_input_tokens,
        cache_creation_input_tokens,
        reasoning_output_tokens,
        finish_reason,
        time_to_first_chunk_s,
        latency_ms,
        code_files_touched,
        code_lines_added,
        code_lines_removed,
        code_lines_changed,

        is_accepted,
        accepted_at,
        is_rejected,
        reject_reason,
        is_edited,
        edits,
        edit_lines_changed,
        edit_ratio,
        is_reverted,
        reverted_at,
        is_regenerate_requested,
        is_superseded,
        is_regenerated,
        builds,
        is_build_succeeded,
        is_build_failed,
        has_unfixed_build_failure,
        is_previewed,
        is_published,
        is_published_to_production,
        is_thumbs_up,
        is_thumbs_down,
        rating,
        is_rating_high,
        is_rating_low,
        attributed_actions,
        attributed_by_response_id,
        last_action_at,

        round(success_score, 4) as success_score,
        outcome_label,
        failure_reason,

        prompt_submitted_at,
        completed_at,
        cast(completed_at as date) as event_date,
        ingest_date,
        ingest_date > cast(completed_at as date) as arrived_late
    from labelled

)

select * from final
order by ingest_date, event_date, generation_id
