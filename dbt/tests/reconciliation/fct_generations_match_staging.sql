-- Every generation of the run's days is in fct_generations exactly once, and nothing else is:
-- the ids that are on one side only (checked over the run's arrival days).
{{ config(meta={'dagster': {'ref': {'name': 'fct_generations'}}}) }}

with staged as (

    select generation_id from {{ ref('stg_lake__generations') }}
    where {{ in_test_window('ingest_date') }}

),

modelled as (

    select generation_id from {{ ref('fct_generations') }}
    where {{ in_test_window('ingest_date') }}

)

(select generation_id, 'missing from fct_generations' as problem from staged
 except all select generation_id, 'missing from fct_generations' from modelled)
union all
(select generation_id, 'not a staged generation' as problem from modelled
 except all select generation_id, 'not a staged generation' from staged)
