{#-
  MRR per workspace per month, at the month's LAST INSTANT, and the month's movement
  (ChartMogul's definitions, FORMATS.md section 4). One row for every workspace that ever had a
  subscription and every reported month, 0.00 when nothing paid was active.

  A subscription counts at month end when one of its periods started before the first instant of
  the next month and had not ended before it. Movements compare a workspace's MRR with the
  previous month end (opening):
    new           opening 0, closing > 0, never paid at an earlier month end
    reactivation  opening 0, closing > 0, paid at an earlier month end (it had churned)
    churn         opening > 0, closing 0: the last paid subscription ended (or went free)
    expansion     both > 0, closing > opening (seats, upgrade, an extra subscription)
    contraction   both > 0, closing < opening (downgrade, fewer seats, one of several
                  subscriptions cancelled: the customer still pays, so it is not churn)
  so that, per workspace and in total, opening + new + expansion + reactivation - contraction
  - churn = closing.
-#}
with months as (

    select month_start, month, next_month_start from {{ ref('int_revenue_months') }}

),

periods as (

    select * from {{ ref('int_subscription_periods') }}

),

plan_history as (

    select workspace_id, valid_from, plan from {{ ref('int_workspace_plan_history') }}

),

workspaces as (

    select distinct workspace_id from periods

),

spine as (

    select workspaces.workspace_id, months.month_start, months.month, months.next_month_start
    from workspaces
    cross join months

),

month_end_subscriptions as (

    select
        spine.workspace_id,
        spine.month_start,
        periods.subscription_id,
        periods.mrr_usd
    from spine
    inner join periods
        on spine.workspace_id = periods.workspace_id
        and periods.valid_from < spine.next_month_start
        and (periods.valid_to is null or periods.valid_to >= spine.next_month_start)

),

month_end_state as (

    select
        spine.workspace_id,
        spine.month_start,
        spine.month,
        spine.next_month_start,
        cast(coalesce(sum(month_end_subscriptions.mrr_usd), 0) as decimal(18, 2)) as mrr_usd,
        count(month_end_subscriptions.subscription_id) as active_subscriptions,
        count(case when month_end_subscriptions.mrr_usd > 0 then 1 end) as paid_subscriptions
    from spine
    left join month_end_subscriptions
        on spine.workspace_id = month_end_subscriptions.workspace_id
        and spine.month_start = month_end_subscriptions.month_start
    group by all

),

with_plan as (

    select
        month_end_state.*,
        coalesce(plan_history.plan, 'none') as plan
    from month_end_state
    asof left join plan_history
        on month_end_state.workspace_id = plan_history.workspace_id
        and month_end_state.next_month_start > plan_history.valid_from

),

with_history as (

    select
        *,
        cast(coalesce(lag(mrr_usd) over workspace_months, 0) as decimal(18, 2)) as opening_mrr_usd,
        coalesce(
            max(mrr_usd) over (
                partition by workspace_id order by month_start
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) > 0 as paid_before
    from with_plan
    window workspace_months as (partition by workspace_id order by month_start)

),

classified as (

    select
        *,
        case
            when opening_mrr_usd = 0 and mrr_usd > 0 and not paid_before then 'new'
            when opening_mrr_usd = 0 and mrr_usd > 0 then 'reactivation'
            when opening_mrr_usd > 0 and mrr_usd = 0 then 'churn'
            when mrr_usd > opening_mrr_usd then 'expansion'
            when mrr_usd < opening_mrr_usd then 'contraction'
            else 'unchanged'
        end as movement_type
    from with_history

),

final as (

    select
        workspace_id || '@' || month as workspace_month_id,
        workspace_id,
        month_start,
        month,
        plan,
        active_subscriptions,
        paid_subscriptions,
        opening_mrr_usd,
        mrr_usd,
        cast(12 * mrr_usd as decimal(18, 2)) as arr_usd,
        mrr_usd > 0 as is_paying,
        movement_type,
        cast(case when movement_type = 'new' then mrr_usd else 0 end as decimal(18, 2)) as new_mrr_usd,
        cast(case when movement_type = 'expansion' then mrr_usd - opening_mrr_usd else 0 end as decimal(18, 2))
            as expansion_mrr_usd,
        cast(case when movement_type = 'reactivation' then mrr_usd else 0 end as decimal(18, 2))
            as reactivation_mrr_usd,
        cast(case when movement_type = 'contraction' then opening_mrr_usd - mrr_usd else 0 end as decimal(18, 2))
            as contraction_mrr_usd,
        cast(case when movement_type = 'churn' then opening_mrr_usd else 0 end as decimal(18, 2)) as churn_mrr_usd
    from classified

)

select * from final
