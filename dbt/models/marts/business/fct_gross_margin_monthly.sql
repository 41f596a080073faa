{#-
  Gross margin per workspace per month (FORMATS.md section 4), for the months with observed
  usage (a month without a single generation has no measured cost of revenue):
      revenue            = the month's MRR (fct_mrr, month end)
      cost of revenue    = inference spend of the month's generations (fct_generation_costs)
      gross margin       = revenue - inference spend
      gross margin %     = gross margin / revenue (null without revenue)
  usage_days says how many days of the month the spend covers: the current month is partial.
  Rows: every workspace-month with revenue or with a generation. The plan is the workspace's
  plan at the month's last instant, as in fct_mrr; a workspace that generated without a
  subscription at month end has plan 'none' (or 'free') and revenue 0.
-#}
with mrr as (

    select workspace_id, month_start, plan, mrr_usd from {{ ref('fct_mrr') }}

),

costs as (

    select * from {{ ref('fct_generation_costs') }}

),

months as (

    select month_start, days_in_month from {{ ref('int_revenue_months') }}

),

usage_months as (

    select
        cast(date_trunc('month', event_date) as date) as month_start,
        count(distinct event_date) as usage_days
    from costs
    group by 1

),

spend as (

    select
        workspace_id,
        cast(date_trunc('month', event_date) as date) as month_start,
        count(*) as generations,
        count(*) filter (where not is_priced) as unpriced_generations,
        coalesce(sum(cost_usd), 0) as inference_spend_usd
    from costs
    group by 1, 2

),

workspace_months as (

    select mrr.workspace_id, mrr.month_start
    from mrr semi join usage_months using (month_start)
    where mrr.mrr_usd > 0
    union
    select spend.workspace_id, spend.month_start from spend

),

final as (

    select
        workspace_months.workspace_id || '@' || strftime(workspace_months.month_start, '%Y-%m')
            as workspace_month_id,
        workspace_months.workspace_id,
        workspace_months.month_start,
        strftime(workspace_months.month_start, '%Y-%m') as month,
        coalesce(mrr.plan, 'none') as plan,
        usage_months.usage_days,
        months.days_in_month,
        coalesce(spend.generations, 0) as generations,
        coalesce(spend.unpriced_generations, 0) as unpriced_generations,
        coalesce(mrr.mrr_usd, 0) as revenue_usd,
        coalesce(spend.inference_spend_usd, 0) as inference_spend_usd,
        coalesce(mrr.mrr_usd, 0) - coalesce(spend.inference_spend_usd, 0) as gross_margin_usd,
        (coalesce(mrr.mrr_usd, 0) - coalesce(spend.inference_spend_usd, 0))
            / nullif(coalesce(mrr.mrr_usd, 0), 0) as gross_margin_pct
    from workspace_months
    inner join usage_months using (month_start)
    left join months using (month_start)
    left join mrr using (workspace_id, month_start)
    left join spend using (workspace_id, month_start)

)

select * from final
order by month_start, workspace_id
