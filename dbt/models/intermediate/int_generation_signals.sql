{#-
  One row per generation with every behavioural signal that followed it: each generation joined
  with everything the user did after it (its attributed actions, int_actions_attributed) and with
  the generations that came after it in the same turn. Signals only; the score and the label
  that combine them are defined in fct_generations.

  Incremental like int_actions_attributed: a run over [min, max] recomputes the generations
  arriving in [min - L, max + L] of every turn that received an event in [min, max].
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
{%- set revert_window_seconds = (var('revert_window_minutes') | int) * 60 -%}

with generations as (

    -- the generations of the run and their possible turn mates
    select generation_id, response_id, session_id, turn_id, completed_at, ingest_date,
        code_lines_changed
    from {{ ref('stg_lake__generations') }}
    where {{ in_run_window('ingest_date', 2 * L, 2 * L) }}

),

{% if run_window_is_set() %}
arrived_actions as (

    select session_id, turn_id, response_id, ingest_date
    from {{ ref('int_actions_attributed') }}
    where {{ in_run_window('ingest_date') }}

),

touched_turns as (

    {{ touched_turns(['arrived_actions', 'generations'], 'generations') }}

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

attributed_actions as (

    select *
    from {{ ref('int_actions_attributed') }}
    where {{ in_run_window('ingest_date', 2 * L, 2 * L) }}
        and generation_id in (select generation_id from generations_in_scope)

),

outcomes as (

    select
        generation_id,
        count(*) as attributed_actions,
        count(*) filter (where attribution_method = 'response_id') as attributed_by_response_id,
        max(occurred_at) as last_action_at,

        bool_or(action_type = 'accepted') as is_accepted,
        min(occurred_at) filter (where action_type = 'accepted') as accepted_at,

        bool_or(action_type = 'rejected') as is_rejected,
        arg_max(reject_reason, {'at': occurred_at, 'id': action_id})
            filter (where action_type = 'rejected') as reject_reason,

        count(*) filter (where action_type = 'edited') as edits,
        sum(coalesce(edit_lines_added, 0) + coalesce(edit_lines_removed, 0))
            filter (where action_type = 'edited') as edit_lines_changed,

        bool_or(action_type = 'reverted' and seconds_after_generation <= {{ revert_window_seconds }})
            as is_reverted,
        min(occurred_at) filter (where action_type = 'reverted') as reverted_at,

        bool_or(action_type = 'regenerate_requested') as is_regenerate_requested,

        count(*) filter (where action_type = 'build') as builds,
        max(occurred_at) filter (where action_type = 'build' and build_status = 'succeeded')
            as last_build_succeeded_at,
        max(occurred_at) filter (where action_type = 'build' and build_status = 'failed')
            as last_build_failed_at,

        bool_or(action_type = 'previewed') as is_previewed,
        bool_or(action_type = 'published') as is_published,
        bool_or(action_type = 'published' and deploy_target = 'production')
            as is_published_to_production,

        -- the user's latest word counts when they changed their mind
        arg_max(is_thumbs_up, {'at': occurred_at, 'id': action_id})
            filter (where action_type = 'feedback' and evaluation_name = 'user_thumbs')
            as latest_thumbs_up,
        arg_max(rating, {'at': occurred_at, 'id': action_id})
            filter (where action_type = 'feedback' and evaluation_name = 'user_rating')
            as latest_rating
    from attributed_actions
    group by generation_id

),

later_in_turn as (

    -- the generations that followed each one in its turn: it was regenerated
    select
        earlier.generation_id,
        count(*) as later_generations,
        min(later.completed_at) as superseded_at
    from generations_in_scope as earlier
    inner join generations as later
        on earlier.session_id = later.session_id
        and earlier.turn_id = later.turn_id
        and abs(date_diff('day', earlier.ingest_date, later.ingest_date)) <= {{ L }}
        and (
            later.completed_at > earlier.completed_at
            or (later.completed_at = earlier.completed_at
                and later.generation_id > earlier.generation_id)
        )
    group by earlier.generation_id

),

earlier_in_turn as (

    select
        later.generation_id,
        count(*) as earlier_generations
    from generations_in_scope as later
    inner join generations as earlier
        on earlier.session_id = later.session_id
        and earlier.turn_id = later.turn_id
        and abs(date_diff('day', earlier.ingest_date, later.ingest_date)) <= {{ L }}
        and (
            earlier.completed_at < later.completed_at
            or (earlier.completed_at = later.completed_at
                and earlier.generation_id < later.generation_id)
        )
    group by later.generation_id

),

final as (

    select
        generations.generation_id,
        generations.ingest_date,
        coalesce(earlier_in_turn.earlier_generations, 0) + 1 as generation_number_in_turn,
        coalesce(outcomes.attributed_actions, 0) as attributed_actions,
        coalesce(outcomes.attributed_by_response_id, 0) as attributed_by_response_id,
        outcomes.last_action_at,

        coalesce(outcomes.is_accepted, false) as is_accepted,
        outcomes.accepted_at,
        coalesce(outcomes.is_rejected, false) as is_rejected,
        outcomes.reject_reason,

        coalesce(outcomes.edits, 0) > 0 as is_edited,
        coalesce(outcomes.edits, 0) as edits,
        coalesce(outcomes.edit_lines_changed, 0) as edit_lines_changed,
        cast(outcomes.edit_lines_changed as double)
            / nullif(generations.code_lines_changed, 0) as edit_ratio,

        coalesce(outcomes.is_reverted, false) as is_reverted,
        outcomes.reverted_at,

        coalesce(outcomes.is_regenerate_requested, false) as is_regenerate_requested,
        later_in_turn.later_generations is not null as is_superseded,
        later_in_turn.superseded_at,
        coalesce(outcomes.is_regenerate_requested, false)
            or later_in_turn.later_generations is not null as is_regenerated,

        coalesce(outcomes.builds, 0) as builds,
        outcomes.last_build_succeeded_at is not null as is_build_succeeded,
        outcomes.last_build_failed_at is not null as is_build_failed,
        -- a failed build counts against the generation unless a later build succeeded
        coalesce(
            outcomes.last_build_failed_at > outcomes.last_build_succeeded_at
            or (outcomes.last_build_failed_at is not null and outcomes.last_build_succeeded_at is null),
            false
        ) as has_unfixed_build_failure,

        coalesce(outcomes.is_previewed, false) as is_previewed,
        coalesce(outcomes.is_published, false) as is_published,
        coalesce(outcomes.is_published_to_production, false) as is_published_to_production,

        coalesce(outcomes.latest_thumbs_up, false) as is_thumbs_up,
        coalesce(not outcomes.latest_thumbs_up, false) as is_thumbs_down,
        outcomes.latest_rating as rating
    from generations_in_scope as generations
    left join outcomes using (generation_id)
    left join later_in_turn using (generation_id)
    left join earlier_in_turn using (generation_id)

)

select * from final
order by ingest_date, generation_id
