{#-
  What the routing what-if starts from, per prompt intent, over all history: the observed
  traffic in three buckets,
    frontier  priced generations of a frontier model (model_roles) that the in-house model
              could have answered (it had a price that day): the traffic a scenario can move
    in_house  generations of the in-house model
    other     everything else (unlisted or unpriced models): never moved
  with their generations, acceptances (the signal marts' is_accepted), spend, the frontier
  traffic's cost at the in-house price (fct_generation_costs.in_house_cost_usd), and the
  acceptance rates with 95% Wilson intervals (the project's wilson_interval macro).
  The scenario itself is computed by pipelines/serving/routing.py, the one implementation the
  dashboard's sliders call; default_in_house_share comes from the routing_scenario seed.
-#}
with costs as (

    select * from {{ ref('fct_generation_costs') }}

),

scenario as (

    select
        prompt_intent,
        display_name,
        cast(default_in_house_share as double) as default_in_house_share
    from {{ ref('routing_scenario') }}

),

bucketed as (

    select
        *,
        case
            when model_role = 'frontier' and is_priced and in_house_cost_usd is not null then 'frontier'
            when model_role = 'in_house' then 'in_house'
            else 'other'
        end as traffic_bucket
    from costs

),

counted as (

    select
        prompt_intent,
        min(event_date) as first_event_date,
        max(event_date) as last_event_date,
        count(*) filter (where traffic_bucket = 'frontier') as frontier_generations,
        count(*) filter (where traffic_bucket = 'frontier' and is_accepted) as frontier_accepted,
        coalesce(sum(cost_usd) filter (where traffic_bucket = 'frontier'), 0) as frontier_spend_usd,
        coalesce(sum(in_house_cost_usd) filter (where traffic_bucket = 'frontier'), 0)
            as frontier_at_in_house_price_usd,
        count(*) filter (where traffic_bucket = 'in_house') as in_house_generations,
        count(*) filter (where traffic_bucket = 'in_house' and is_accepted) as in_house_accepted,
        coalesce(sum(cost_usd) filter (where traffic_bucket = 'in_house'), 0) as in_house_spend_usd,
        count(*) filter (where traffic_bucket = 'other') as other_generations,
        count(*) filter (where traffic_bucket = 'other' and is_accepted) as other_accepted,
        coalesce(sum(cost_usd) filter (where traffic_bucket = 'other'), 0) as other_spend_usd,
        count(*) filter (where not is_priced) as unpriced_generations
    from bucketed
    group by prompt_intent

),

final as (

    select
        counted.prompt_intent,
        coalesce(scenario.display_name, counted.prompt_intent) as intent_name,
        coalesce(scenario.default_in_house_share, 0.0) as default_in_house_share,
        counted.first_event_date,
        counted.last_event_date,
        counted.frontier_generations,
        counted.frontier_accepted,
        counted.frontier_spend_usd,
        counted.frontier_at_in_house_price_usd,
        {{ safe_rate('counted.frontier_accepted', 'counted.frontier_generations') }} as frontier_acceptance_rate,
        {{ wilson_interval('counted.frontier_accepted', 'counted.frontier_generations', 'frontier_acceptance') }},
        counted.in_house_generations,
        counted.in_house_accepted,
        counted.in_house_spend_usd,
        {{ safe_rate('counted.in_house_accepted', 'counted.in_house_generations') }} as in_house_acceptance_rate,
        {{ wilson_interval('counted.in_house_accepted', 'counted.in_house_generations', 'in_house_acceptance') }},
        counted.other_generations,
        counted.other_accepted,
        counted.other_spend_usd,
        {{ safe_rate('counted.other_accepted', 'counted.other_generations') }} as other_acceptance_rate,
        {{ wilson_interval('counted.other_accepted', 'counted.other_generations', 'other_acceptance') }},
        counted.unpriced_generations
    from counted
    left join scenario using (prompt_intent)

)

select * from final
order by prompt_intent
