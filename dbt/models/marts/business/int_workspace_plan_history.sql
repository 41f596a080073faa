{#-
  A workspace's plan over time, as intervals [valid_from, valid_to): the plan of its active
  subscription with the highest MRR (ties: the higher tier, then the subscription id), or 'none'
  when no subscription is active. This is the one definition of "a workspace's plan": the MRR
  marts take it at the month's last instant, the spend marts at each generation's instant.
-#}
with periods as (

    select * from {{ ref('int_subscription_periods') }}

),

plans as (

    select plan, cast(tier_rank as integer) as tier_rank from {{ ref('plans') }}

),

change_points as (

    select workspace_id, valid_from as changed_at from periods
    union
    select workspace_id, valid_to as changed_at from periods where valid_to is not null

),

active_at_change as (

    select
        change_points.workspace_id,
        change_points.changed_at,
        periods.subscription_id,
        periods.plan,
        periods.mrr_usd,
        plans.tier_rank
    from change_points
    left join periods
        on change_points.workspace_id = periods.workspace_id
        and periods.valid_from <= change_points.changed_at
        and (periods.valid_to is null or periods.valid_to > change_points.changed_at)
    left join plans on periods.plan = plans.plan

),

states as (

    select
        workspace_id,
        changed_at as valid_from,
        coalesce(
            first(plan order by mrr_usd desc, tier_rank desc, subscription_id),
            'none'
        ) as plan,
        count(subscription_id) as active_subscriptions
    from active_at_change
    group by workspace_id, changed_at

),

final as (

    select
        workspace_id || '@' || strftime(valid_from, '%Y-%m-%dT%H:%M:%S.%f') as plan_interval_id,
        workspace_id,
        valid_from,
        lead(valid_from) over (partition by workspace_id order by valid_from) as valid_to,
        plan,
        active_subscriptions
    from states

)

select * from final
