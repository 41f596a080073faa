{#-
  The months revenue is reported for: from the month of the first subscription event to the
  month of the warehouse's as-of day, the last arrival day ingest has loaded (a day whose billing
  file was empty still counts: the month exists even when nobody's subscription changed in it).
  Set the var revenue_as_of (YYYY-MM-DD) to pin the last month instead.
-#}
with subscription_events as (

    select occurred_at from {{ ref('stg_lake__subscription_events') }}

),

ingest_files as (

    select ingest_date from {{ ref('stg_lake__ingest_files') }}

),

bounds as (

    select
        date_trunc('month', min(occurred_at)) as first_month,
        date_trunc('month',
            {%- if var('revenue_as_of', none) %}
            date '{{ var("revenue_as_of") }}'
            {%- else %}
            greatest(cast(max(occurred_at) as date), (select max(ingest_date) from ingest_files))
            {%- endif %}
        ) as last_month
    from subscription_events

),

months as (

    select cast(month_start as date) as month_start
    from bounds,
        unnest(generate_series(first_month, last_month, interval 1 month)) as spine(month_start)

),

final as (

    select
        month_start,
        strftime(month_start, '%Y-%m') as month,
        -- MRR is the state at the month's last instant, i.e. just before this one
        cast(month_start + interval 1 month as timestamp) as next_month_start,
        cast(last_day(month_start) as date) as month_end_date,
        cast(day(last_day(month_start)) as integer) as days_in_month,
        month_start = (select max(month_start) from months) as is_current_month
    from months

)

select * from final
