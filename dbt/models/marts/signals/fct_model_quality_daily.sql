{#-
  Model quality by day (of the generation) x provider x model x prompt intent: acceptance,
  success and regeneration rates with Wilson 95% intervals. The rates are defined here from the
  labels of fct_generations; fct_model_quality sums these counts over all days.

  Incremental: a run recomputes every day that holds a generation it recomputed.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_date',
    )
}}

with

{% if run_window_is_set() %}
changed_days as (

    select distinct event_date from {{ ref('fct_generations') }}
    where {{ in_run_window('ingest_date', lookback_days(), lookback_days()) }}

),
{% endif %}

generations as (

    select * from {{ ref('fct_generations') }}
    {% if run_window_is_set() %}
    where event_date in (select event_date from changed_days)
    {% endif %}

),

counted as (

    select
        event_date,
        provider_name,
        request_model,
        prompt_intent,
        count(*) as generations,
        count(*) filter (where is_accepted) as accepted,
        count(*) filter (where outcome_label = 'success') as succeeded,
        count(*) filter (where outcome_label = 'failure') as failed,
        count(*) filter (where outcome_label = 'unknown') as unknown,
        count(*) filter (where outcome_label <> 'unknown') as labelled,
        count(*) filter (where is_regenerated) as regenerated,
        -- exact decimal sums: the same total whatever order the rows are added in
        sum(cast(success_score as decimal(18, 4))) as success_score_sum
    from generations
    group by event_date, provider_name, request_model, prompt_intent

),

final as (

    select
        event_date,
        provider_name,
        request_model,
        prompt_intent,
        generations,
        accepted,
        succeeded,
        failed,
        unknown,
        labelled,
        regenerated,
        success_score_sum,
        {{ safe_rate('accepted', 'generations') }} as acceptance_rate,
        {{ wilson_interval('accepted', 'generations', 'acceptance') }},
        -- success among the generations the user reacted to (unknown labels left out)
        {{ safe_rate('succeeded', 'labelled') }} as success_rate,
        {{ wilson_interval('succeeded', 'labelled', 'success') }},
        {{ safe_rate('regenerated', 'generations') }} as regeneration_rate,
        {{ wilson_interval('regenerated', 'generations', 'regeneration') }},
        {{ safe_rate('unknown', 'generations') }} as unknown_share,
        cast(success_score_sum as double) / generations as mean_success_score
    from counted

)

select * from final
order by event_date, provider_name, request_model, prompt_intent
