{#-
  Model quality over all days, per provider x model x prompt intent: the counts of
  fct_model_quality_daily summed, with Wilson intervals at 95% (dashboards) and 99.9% (quality
  gates and the comparison with the simulator's truth, where many cells are tested at once).
-#}
with daily as (

    select * from {{ ref('fct_model_quality_daily') }}

),

counted as (

    select
        provider_name,
        request_model,
        prompt_intent,
        min(event_date) as first_event_date,
        max(event_date) as last_event_date,
        sum(generations) as generations,
        sum(accepted) as accepted,
        sum(succeeded) as succeeded,
        sum(failed) as failed,
        sum(unknown) as unknown,
        sum(labelled) as labelled,
        sum(regenerated) as regenerated,
        sum(success_score_sum) as success_score_sum
    from daily
    group by provider_name, request_model, prompt_intent

),

final as (

    select
        provider_name,
        request_model,
        prompt_intent,
        first_event_date,
        last_event_date,
        generations,
        accepted,
        succeeded,
        failed,
        unknown,
        labelled,
        regenerated,
        {{ safe_rate('accepted', 'generations') }} as acceptance_rate,
        {{ wilson_interval('accepted', 'generations', 'acceptance') }},
        {{ wilson_interval('accepted', 'generations', 'acceptance_999', z=3.290527) }},
        {{ safe_rate('succeeded', 'labelled') }} as success_rate,
        {{ wilson_interval('succeeded', 'labelled', 'success') }},
        {{ wilson_interval('succeeded', 'labelled', 'success_999', z=3.290527) }},
        {{ safe_rate('regenerated', 'generations') }} as regeneration_rate,
        {{ wilson_interval('regenerated', 'generations', 'regeneration') }},
        {{ wilson_interval('regenerated', 'generations', 'regeneration_999', z=3.290527) }},
        {{ safe_rate('unknown', 'generations') }} as unknown_share,
        cast(success_score_sum as double) / generations as mean_success_score
    from counted

)

select * from final
order by provider_name, request_model, prompt_intent
