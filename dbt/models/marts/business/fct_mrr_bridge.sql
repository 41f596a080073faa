{#-
  The MRR bridge per month, summed from fct_mrr:
      opening + new + expansion + reactivation - contraction - churn = closing
  (a data test holds it every month), with ARR = 12 x closing MRR and the customer counts behind
  each movement. Opening is the previous month's closing (0 in the first reported month).
-#}
with workspace_months as (

    select * from {{ ref('fct_mrr') }}

),

months as (

    select month_start, days_in_month, is_current_month from {{ ref('int_revenue_months') }}

),

bridge as (

    select
        month_start,
        month,
        cast(sum(opening_mrr_usd) as decimal(18, 2)) as opening_mrr_usd,
        cast(sum(new_mrr_usd) as decimal(18, 2)) as new_mrr_usd,
        cast(sum(expansion_mrr_usd) as decimal(18, 2)) as expansion_mrr_usd,
        cast(sum(reactivation_mrr_usd) as decimal(18, 2)) as reactivation_mrr_usd,
        cast(sum(contraction_mrr_usd) as decimal(18, 2)) as contraction_mrr_usd,
        cast(sum(churn_mrr_usd) as decimal(18, 2)) as churn_mrr_usd,
        cast(sum(mrr_usd) as decimal(18, 2)) as closing_mrr_usd,
        count(case when opening_mrr_usd > 0 then 1 end) as opening_customers,
        count(case when is_paying then 1 end) as paying_customers,
        count(case when active_subscriptions > 0 then 1 end) as subscribed_workspaces,
        count(case when movement_type = 'new' then 1 end) as new_customers,
        count(case when movement_type = 'expansion' then 1 end) as expanded_customers,
        count(case when movement_type = 'reactivation' then 1 end) as reactivated_customers,
        count(case when movement_type = 'contraction' then 1 end) as contracted_customers,
        count(case when movement_type = 'churn' then 1 end) as churned_customers
    from workspace_months
    group by month_start, month

),

final as (

    select
        bridge.*,
        cast(closing_mrr_usd - opening_mrr_usd as decimal(18, 2)) as net_new_mrr_usd,
        -- kept so a test can hold opening = last month's closing
        lag(closing_mrr_usd) over (order by month_start) as previous_closing_mrr_usd,
        cast(12 * closing_mrr_usd as decimal(18, 2)) as arr_usd,
        months.is_current_month
    from bridge
    inner join months using (month_start)

)

select * from final order by month_start
