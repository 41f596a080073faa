{#-
  Inference spend per day x workspace x plan (at the generation's instant) x provider x model x
  prompt intent: additive counts, tokens and USD from fct_generation_costs, so any filter of
  the dashboards is a sum. Unpriced generations are counted (unpriced_generations) and their
  cost is not in spend_usd; a warn-level test lists them so a missing price is seen.
-#}
with costs as (

    select * from {{ ref('fct_generation_costs') }}

),

final as (

    select
        event_date,
        workspace_id,
        plan,
        provider_name,
        request_model,
        model_role,
        prompt_intent,
        count(*) as generations,
        count(*) filter (where is_priced) as priced_generations,
        count(*) filter (where not is_priced) as unpriced_generations,
        count(*) filter (where is_accepted) as accepted_generations,
        count(*) filter (where is_accepted and is_priced) as priced_accepted_generations,
        sum(input_tokens) as input_tokens,
        sum(uncached_input_tokens) as uncached_input_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(output_tokens) as output_tokens,
        coalesce(sum(input_cost_usd), 0) as input_cost_usd,
        coalesce(sum(cache_read_cost_usd), 0) as cache_read_cost_usd,
        coalesce(sum(cache_write_cost_usd), 0) as cache_write_cost_usd,
        coalesce(sum(output_cost_usd), 0) as output_cost_usd,
        coalesce(sum(cost_usd), 0) as spend_usd
    from costs
    group by all

)

select * from final
order by event_date, workspace_id, provider_name, request_model, prompt_intent
