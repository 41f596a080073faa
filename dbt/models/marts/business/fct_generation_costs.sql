{#-
  What every generation cost, from the price catalog in force on its day (FORMATS.md section 2):
  the catalog row of its provider and requested model with the newest effective_from on or
  before the generation's date. Input, output, cache read and cache write tokens are priced
  separately; OpenTelemetry's input_tokens INCLUDES the cache read and cache write tokens, so

      uncached input = input_tokens - cache_read_input_tokens - cache_creation_input_tokens

  A generation whose model has no price that day is flagged (is_priced = false) with a null
  cost: it is counted, never costed as $0. Costs are exact DECIMALs (a per-token price is a
  per-million price x 1e-6), so every sum of them is the same whatever the order.

  in_house_cost_usd is the counterfactual the routing what-if needs: the same usage priced at
  the in-house model's catalog price in force that day (model_roles seed, role in_house).
-#}
with generations as (

    select
        generation_id,
        response_id,
        completed_at,
        event_date,
        ingest_date,
        workspace_id,
        session_id,
        prompt_intent,
        provider_name,
        request_model,
        is_accepted,
        outcome_label,
        coalesce(input_tokens, 0) as input_tokens,
        coalesce(output_tokens, 0) as output_tokens,
        coalesce(cache_read_input_tokens, 0) as cache_read_tokens,
        coalesce(cache_creation_input_tokens, 0) as cache_write_tokens,
        coalesce(reasoning_output_tokens, 0) as reasoning_output_tokens
    from {{ ref('fct_generations') }}

),

prices as (

    select
        provider,
        model,
        cast(effective_from as date) as effective_from,
        {%- for usage in ['input', 'output', 'cache_read', 'cache_write'] %}
        -- exact: USD per token = USD per million tokens x 1e-6
        cast(cast({{ usage }}_usd_per_mtok as decimal(18, 6)) * cast(0.000001 as decimal(18, 6))
            as decimal(38, 12)) as {{ usage }}_usd_per_token{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('model_prices') }}

),

model_roles as (

    select provider, model, role from {{ ref('model_roles') }}

),

in_house_prices as (

    select prices.*
    from prices
    inner join model_roles
        on prices.provider = model_roles.provider
        and prices.model = model_roles.model
    where model_roles.role = 'in_house'

),

plan_history as (

    select workspace_id, valid_from, plan from {{ ref('int_workspace_plan_history') }}

),

usage as (

    select
        *,
        input_tokens - cache_read_tokens - cache_write_tokens as uncached_input_tokens
    from generations

),

priced as (

    select
        usage.*,
        prices.effective_from as price_effective_from,
        prices.input_usd_per_token,
        prices.output_usd_per_token,
        prices.cache_read_usd_per_token,
        prices.cache_write_usd_per_token
    from usage
    asof left join prices
        on usage.provider_name = prices.provider
        and usage.request_model = prices.model
        and usage.event_date >= prices.effective_from

),

with_in_house_price as (

    select
        priced.*,
        in_house_prices.input_usd_per_token as in_house_input_usd_per_token,
        in_house_prices.output_usd_per_token as in_house_output_usd_per_token,
        in_house_prices.cache_read_usd_per_token as in_house_cache_read_usd_per_token,
        in_house_prices.cache_write_usd_per_token as in_house_cache_write_usd_per_token
    from priced
    asof left join in_house_prices
        on priced.event_date >= in_house_prices.effective_from

),

with_plan as (

    select
        with_in_house_price.*,
        coalesce(plan_history.plan, 'none') as plan
    from with_in_house_price
    asof left join plan_history
        on with_in_house_price.workspace_id = plan_history.workspace_id
        and with_in_house_price.completed_at >= plan_history.valid_from

),

final as (

    select
        with_plan.generation_id,
        with_plan.response_id,
        with_plan.completed_at,
        with_plan.event_date,
        with_plan.ingest_date,
        with_plan.workspace_id,
        with_plan.plan,
        with_plan.session_id,
        with_plan.prompt_intent,
        with_plan.provider_name,
        with_plan.request_model,
        coalesce(model_roles.role, 'unlisted') as model_role,
        with_plan.is_accepted,
        with_plan.outcome_label,
        with_plan.input_tokens,
        with_plan.uncached_input_tokens,
        with_plan.cache_read_tokens,
        with_plan.cache_write_tokens,
        with_plan.output_tokens,
        with_plan.reasoning_output_tokens,
        with_plan.price_effective_from is not null as is_priced,
        with_plan.price_effective_from,
        with_plan.uncached_input_tokens * with_plan.input_usd_per_token as input_cost_usd,
        with_plan.cache_read_tokens * with_plan.cache_read_usd_per_token as cache_read_cost_usd,
        with_plan.cache_write_tokens * with_plan.cache_write_usd_per_token as cache_write_cost_usd,
        with_plan.output_tokens * with_plan.output_usd_per_token as output_cost_usd,
        with_plan.uncached_input_tokens * with_plan.input_usd_per_token
            + with_plan.cache_read_tokens * with_plan.cache_read_usd_per_token
            + with_plan.cache_write_tokens * with_plan.cache_write_usd_per_token
            + with_plan.output_tokens * with_plan.output_usd_per_token as cost_usd,
        with_plan.uncached_input_tokens * with_plan.in_house_input_usd_per_token
            + with_plan.cache_read_tokens * with_plan.in_house_cache_read_usd_per_token
            + with_plan.cache_write_tokens * with_plan.in_house_cache_write_usd_per_token
            + with_plan.output_tokens * with_plan.in_house_output_usd_per_token as in_house_cost_usd
    from with_plan
    left join model_roles
        on with_plan.provider_name = model_roles.provider
        and with_plan.request_model = model_roles.model

)

select * from final
order by event_date, workspace_id, generation_id
