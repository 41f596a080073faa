{#-
  Gross margin per plan per month: fct_gross_margin_monthly's revenue and spend summed over the
  workspaces on each plan at month end, and the margin of those sums.
-#}
with workspace_months as (

    select * from {{ ref('fct_gross_margin_monthly') }}

),

plans as (

    select plan, cast(tier_rank as integer) as tier_rank, display_name from {{ ref('plans') }}

),

summed as (

    select
        plan,
        month_start,
        month,
        any_value(usage_days) as usage_days,
        any_value(days_in_month) as days_in_month,
        count(*) as workspaces,
        count(*) filter (where revenue_usd > 0) as paying_workspaces,
        sum(generations) as generations,
        sum(unpriced_generations) as unpriced_generations,
        sum(revenue_usd) as revenue_usd,
        sum(inference_spend_usd) as inference_spend_usd
    from workspace_months
    group by plan, month_start, month

),

final as (

    select
        summed.plan || '@' || summed.month as plan_month_id,
        summed.plan,
        plans.display_name as plan_name,
        plans.tier_rank,
        summed.month_start,
        summed.month,
        summed.usage_days,
        summed.days_in_month,
        summed.workspaces,
        summed.paying_workspaces,
        summed.generations,
        summed.unpriced_generations,
        summed.revenue_usd,
        summed.inference_spend_usd,
        summed.revenue_usd - summed.inference_spend_usd as gross_margin_usd,
        (summed.revenue_usd - summed.inference_spend_usd) / nullif(summed.revenue_usd, 0)
            as gross_margin_pct
    from summed
    left join plans using (plan)

)

select * from final
order by month_start, tier_rank
