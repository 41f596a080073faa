{#-
  One row per session that had at least one generation: what it cost, which model did most of
  its work (primary model: the most generations, then the most cost, then the name), its entry
  point (the intent of its first prompt) and whether it succeeded.

  Success is the signal marts' (fct_sessions): a session succeeded when it was not abandoned,
  i.e. the user kept the last answer or published. Nothing is redefined here.
  A session with an unpriced generation has no complete cost (is_fully_priced = false).
-#}
with costs as (

    select session_id, provider_name, request_model, cost_usd, is_priced
    from {{ ref('fct_generation_costs') }}

),

sessions as (

    select session_id, workspace_id, first_prompt_intent, is_abandoned, session_date
    from {{ ref('fct_sessions') }}

),

per_model as (

    select
        session_id,
        provider_name,
        request_model,
        count(*) as generations,
        coalesce(sum(cost_usd), 0) as cost_usd
    from costs
    group by session_id, provider_name, request_model

),

per_session as (

    select
        session_id,
        arg_max(
            provider_name,
            {'generations': generations, 'cost': cost_usd, 'model': request_model}
        ) as primary_provider_name,
        arg_max(
            request_model,
            {'generations': generations, 'cost': cost_usd, 'model': request_model}
        ) as primary_model,
        count(*) as models_used,
        sum(generations) as generations
    from per_model
    group by session_id

),

session_cost as (

    select
        session_id,
        sum(cost_usd) as cost_usd,
        bool_and(is_priced) as is_fully_priced
    from costs
    group by session_id

),

final as (

    select
        per_session.session_id,
        sessions.workspace_id,
        sessions.session_date,
        coalesce(sessions.first_prompt_intent, 'unknown') as prompt_intent,
        per_session.primary_provider_name,
        per_session.primary_model,
        per_session.models_used,
        per_session.generations,
        session_cost.is_fully_priced,
        case when session_cost.is_fully_priced then session_cost.cost_usd end as cost_usd,
        not coalesce(sessions.is_abandoned, true) as is_successful
    from per_session
    inner join session_cost using (session_id)
    left join sessions using (session_id)

)

select * from final
