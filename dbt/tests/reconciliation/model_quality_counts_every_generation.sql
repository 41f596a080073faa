-- fct_model_quality_daily counts each generation of a day once: its totals per day equal the
-- generations of fct_generations that completed that day (days the run could change).
{{ config(meta={'dagster': {'ref': {'name': 'fct_model_quality_daily'}}}) }}

{%- set L = lookback_days() %}

with changed_days as (

    select distinct event_date from {{ ref('fct_generations') }}
    where {{ in_test_window('ingest_date', L, L) }}

),

generations as (

    select event_date, count(*) as generations, count(*) filter (where is_accepted) as accepted
    from {{ ref('fct_generations') }}
    where event_date in (select event_date from changed_days)
    group by event_date

),

quality as (

    select event_date, sum(generations) as generations, sum(accepted) as accepted
    from {{ ref('fct_model_quality_daily') }}
    where event_date in (select event_date from changed_days)
    group by event_date

)

select *
from generations
full outer join quality using (event_date)
where generations.generations is distinct from quality.generations
    or generations.accepted is distinct from quality.accepted
