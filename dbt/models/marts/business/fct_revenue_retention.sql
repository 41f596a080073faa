{#-
  Net and gross revenue retention over trailing windows of 1, 3, 6 and 12 months (FORMATS.md
  section 4). The cohort is every workspace paying at the end of the month before the window
  (cohort_month, starting MRR > 0). Each cohort customer's movement over the window compares its
  MRR at the window's end with its starting MRR:
    churn         it pays nothing at the end                          (starting MRR)
    reactivation  it paid nothing at some month end of the window and pays again at the end:
                  churn of its starting MRR, then reactivation of its ending MRR
    contraction   it pays less than at the start                      (start - end)
    expansion     it pays more than at the start                      (end - start)
  so that starting + expansion + reactivation - contraction - churn = ending (a test holds it), and
      NRR = (starting + expansion + reactivation - contraction - churn) / starting
      GRR = (starting - contraction - churn) / starting, in [0, 1].
  For the 1-month window these are exactly fct_mrr's movements of the month. New customers of the
  window are not in the cohort.
-#}
with workspace_months as (

    select workspace_id, month_start, mrr_usd from {{ ref('fct_mrr') }}

),

windows as (

    select unnest([1, 3, 6, 12]) as window_months

),

months as (

    select distinct month_start from workspace_months

),

periods as (

    select
        months.month_start as period_end_month,
        windows.window_months,
        cast(months.month_start - to_months(windows.window_months) as date) as cohort_month
    from months
    cross join windows
    where cast(months.month_start - to_months(windows.window_months) as date)
        >= (select min(month_start) from months)

),

cohort as (

    select
        periods.period_end_month,
        periods.window_months,
        periods.cohort_month,
        starting.workspace_id,
        starting.mrr_usd as starting_mrr_usd
    from periods
    inner join workspace_months as starting
        on starting.month_start = periods.cohort_month
        and starting.mrr_usd > 0

),

window_path as (

    select
        cohort.period_end_month,
        cohort.window_months,
        cohort.cohort_month,
        cohort.workspace_id,
        cohort.starting_mrr_usd,
        max(case when later.month_start = cohort.period_end_month then later.mrr_usd end) as ending_mrr_usd,
        bool_or(later.mrr_usd = 0) as lapsed_in_window
    from cohort
    inner join workspace_months as later
        on later.workspace_id = cohort.workspace_id
        and later.month_start > cohort.cohort_month
        and later.month_start <= cohort.period_end_month
    group by all

),

customer_movements as (

    select
        *,
        case when ending_mrr_usd > 0 and lapsed_in_window then ending_mrr_usd else 0 end
            as reactivation_mrr_usd,
        case when ending_mrr_usd = 0 or lapsed_in_window then starting_mrr_usd else 0 end as churn_mrr_usd,
        case when not lapsed_in_window and ending_mrr_usd > starting_mrr_usd
            then ending_mrr_usd - starting_mrr_usd else 0 end as expansion_mrr_usd,
        case when not lapsed_in_window and ending_mrr_usd > 0 and ending_mrr_usd < starting_mrr_usd
            then starting_mrr_usd - ending_mrr_usd else 0 end as contraction_mrr_usd
    from window_path

),

final as (

    select
        strftime(period_end_month, '%Y-%m') || '/' || window_months || 'm' as retention_period_id,
        period_end_month,
        strftime(period_end_month, '%Y-%m') as month,
        window_months,
        cohort_month,
        count(*) as cohort_customers,
        count(case when ending_mrr_usd > 0 then 1 end) as retained_customers,
        cast(sum(starting_mrr_usd) as decimal(18, 2)) as starting_mrr_usd,
        cast(sum(expansion_mrr_usd) as decimal(18, 2)) as expansion_mrr_usd,
        cast(sum(reactivation_mrr_usd) as decimal(18, 2)) as reactivation_mrr_usd,
        cast(sum(contraction_mrr_usd) as decimal(18, 2)) as contraction_mrr_usd,
        cast(sum(churn_mrr_usd) as decimal(18, 2)) as churn_mrr_usd,
        cast(sum(ending_mrr_usd) as decimal(18, 2)) as ending_mrr_usd,
        cast(
            sum(starting_mrr_usd) + sum(expansion_mrr_usd) + sum(reactivation_mrr_usd)
            - sum(contraction_mrr_usd) - sum(churn_mrr_usd) as double
        ) / cast(sum(starting_mrr_usd) as double) as net_revenue_retention,
        cast(sum(starting_mrr_usd) - sum(contraction_mrr_usd) - sum(churn_mrr_usd) as double)
            / cast(sum(starting_mrr_usd) as double) as gross_revenue_retention
    from customer_movements
    group by period_end_month, window_months, cohort_month

)

select * from final
