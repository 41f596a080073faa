{#-
  Each subscription's history as periods of constant terms: a period starts at a started or
  changed event and ends at the subscription's next event (a change or the cancellation), or is
  still open. Its MRR in USD is computed here, once:

      mrr_usd = round(seats x price_per_seat / (12 if yearly else 1) x usd_per_unit, 2)

  per subscription, half-to-even, with the fixed planning rates of the fx_rates seed. The
  arithmetic is exact: DuckDB divides DECIMALs in DOUBLE, so the amount is taken in integer
  units of 1e-8 USD and divided and rounded as integers.
-#}
with subscription_events as (

    select * from {{ ref('stg_lake__subscription_events') }}

),

fx_rates as (

    select currency, cast(usd_per_unit as decimal(18, 4)) as usd_per_unit
    from {{ ref('fx_rates') }}

),

ordered as (

    select
        *,
        lead(occurred_at) over subscription_timeline as next_event_at,
        lead(subscription_event_type) over subscription_timeline as next_event_type
    from subscription_events
    window subscription_timeline as (
        partition by subscription_id
        -- at one instant a cancellation comes last: it ends whatever was set then
        order by occurred_at,
            case subscription_event_type when 'started' then 1 when 'changed' then 2 else 3 end,
            subscription_event_id
    )

),

periods as (

    select
        ordered.subscription_event_id as subscription_period_id,
        ordered.subscription_id,
        ordered.workspace_id,
        ordered.subscription_event_type as started_by,
        ordered.occurred_at as valid_from,
        ordered.next_event_at as valid_to,
        ordered.next_event_type as ended_by,
        ordered.plan,
        cast(ordered.seats as integer) as seats,
        cast(ordered.price_per_seat as decimal(18, 4)) as price_per_seat,
        ordered.currency,
        ordered.billing_interval,
        fx_rates.usd_per_unit,
        -- seats x price x rate, exact, in units of 1e-8 USD per billing interval
        cast(
            cast(
                cast(ordered.seats as decimal(18, 0)) * cast(ordered.price_per_seat as decimal(18, 4))
                * fx_rates.usd_per_unit as decimal(38, 8)
            ) * 100000000 as hugeint
        ) as amount_e8_usd,
        -- units of 1e-8 USD in one cent of MRR: a yearly price is spread over 12 months
        case ordered.billing_interval when 'year' then 12000000 else 1000000 end as e8_per_mrr_cent
    from ordered
    left join fx_rates on ordered.currency = fx_rates.currency
    where ordered.subscription_event_type <> 'cancelled'

),

rounded as (

    select
        *,
        amount_e8_usd // e8_per_mrr_cent as floor_cents,
        amount_e8_usd % e8_per_mrr_cent as remainder_e8
    from periods

),

final as (

    select
        subscription_period_id,
        subscription_id,
        workspace_id,
        started_by,
        valid_from,
        valid_to,
        ended_by,
        plan,
        seats,
        price_per_seat,
        currency,
        billing_interval,
        usd_per_unit,
        cast(
            cast(
                floor_cents
                + case
                    when 2 * remainder_e8 > e8_per_mrr_cent then 1
                    when 2 * remainder_e8 = e8_per_mrr_cent and floor_cents % 2 = 1 then 1
                    else 0
                end
                as decimal(38, 0)
            ) * 0.01 as decimal(18, 2)
        ) as mrr_usd
    from rounded

)

select * from final
