-- Sessions count each generation once: per session and arrival day, int_session_days holds as
-- many generations as fct_generations (the run's days); per session, fct_sessions holds the sum
-- of its days (the sessions the run recomputed).
{{ config(meta={'dagster': {'ref': {'name': 'fct_sessions'}}}) }}

with generations_per_day as (

    select session_id, ingest_date, count(*) as generations
    from {{ ref('fct_generations') }}
    where {{ in_test_window('ingest_date') }}
    group by session_id, ingest_date

),

session_days as (

    select session_id, ingest_date, coalesce(generations, 0) as generations
    from {{ ref('int_session_days') }}
    where {{ in_test_window('ingest_date') }}

),

days_disagreeing as (

    select session_id, ingest_date, 'int_session_days' as problem
    from generations_per_day
    full outer join session_days using (session_id, ingest_date)
    where coalesce(generations_per_day.generations, 0) <> coalesce(session_days.generations, 0)

),

sessions as (

    select session_id, generations from {{ ref('fct_sessions') }}
    where {{ in_test_window('last_ingest_date') }}

),

summed as (

    select session_id, sum(coalesce(generations, 0)) as generations
    from {{ ref('int_session_days') }}
    semi join sessions using (session_id)
    group by session_id

),

sessions_disagreeing as (

    select session_id, null::date as ingest_date, 'fct_sessions' as problem
    from sessions
    left join summed using (session_id)
    where sessions.generations <> coalesce(summed.generations, 0)

)

select * from days_disagreeing
union all
select * from sessions_disagreeing
