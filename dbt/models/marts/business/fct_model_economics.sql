{#-
  Model economics per provider x model x prompt intent, over all history:
    cost per generation          = spend / priced generations
    cost per accepted generation = spend / accepted priced generations (what one kept answer
                                   costs, paying for the rejected ones too)
    cost per successful session  = cost of the sessions the model led / those of them that
                                   succeeded (sessions by primary model and entry intent,
                                   int_session_costs; fully priced sessions only)
  Acceptance and success, with their 95% Wilson intervals, are the signal marts'
  (fct_model_quality), joined here, never recomputed.
-#}
with costs as (

    select * from {{ ref('fct_generation_costs') }}

),

session_costs as (

    select * from {{ ref('int_session_costs') }}

),

quality as (

    select * from {{ ref('fct_model_quality') }}

),

generation_side as (

    select
        provider_name,
        request_model,
        prompt_intent,
        any_value(model_role) as model_role,
        count(*) as generations,
        count(*) filter (where is_priced) as priced_generations,
        count(*) filter (where not is_priced) as unpriced_generations,
        count(*) filter (where is_accepted) as accepted_generations,
        count(*) filter (where is_accepted and is_priced) as priced_accepted_generations,
        coalesce(sum(cost_usd), 0) as spend_usd
    from costs
    group by provider_name, request_model, prompt_intent

),

session_side as (

    select
        primary_provider_name as provider_name,
        primary_model as request_model,
        prompt_intent,
        count(*) as sessions_led,
        count(*) filter (where is_fully_priced) as priced_sessions_led,
        count(*) filter (where is_fully_priced and is_successful) as successful_priced_sessions,
        coalesce(sum(cost_usd), 0) as priced_sessions_cost_usd
    from session_costs
    group by all

),

final as (

    select
        generation_side.provider_name || '/' || generation_side.request_model || '/'
            || generation_side.prompt_intent as model_intent_id,
        generation_side.provider_name,
        generation_side.request_model,
        generation_side.model_role,
        generation_side.prompt_intent,
        generation_side.generations,
        generation_side.priced_generations,
        generation_side.unpriced_generations,
        generation_side.accepted_generations,
        generation_side.priced_accepted_generations,
        generation_side.spend_usd,
        generation_side.spend_usd / nullif(generation_side.priced_generations, 0) as cost_per_generation_usd,
        generation_side.spend_usd / nullif(generation_side.priced_accepted_generations, 0)
            as cost_per_accepted_generation_usd,
        coalesce(session_side.sessions_led, 0) as sessions_led,
        coalesce(session_side.successful_priced_sessions, 0) as successful_priced_sessions,
        coalesce(session_side.priced_sessions_cost_usd, 0) as priced_sessions_cost_usd,
        session_side.priced_sessions_cost_usd / nullif(session_side.successful_priced_sessions, 0)
            as cost_per_successful_session_usd,
        quality.acceptance_rate,
        quality.acceptance_ci_low,
        quality.acceptance_ci_high,
        quality.success_rate,
        quality.success_ci_low,
        quality.success_ci_high
    from generation_side
    left join session_side
        on generation_side.provider_name = session_side.provider_name
        and generation_side.request_model = session_side.request_model
        and generation_side.prompt_intent = session_side.prompt_intent
    left join quality
        on generation_side.provider_name = quality.provider_name
        and generation_side.request_model = quality.request_model
        and generation_side.prompt_intent = quality.prompt_intent

)

select * from final
order by provider_name, request_model, prompt_intent
