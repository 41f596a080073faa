with events as (

    select * from {{ ref('base_lake__events') }}
    where event_type = 'prompt.submitted'

),

renamed as (

    select
        event_id as prompt_id,
        occurred_at as submitted_at,
        ingest_date,
        workspace_id,
        user_id,
        session_id,
        app_id,
        turn_id,
        turn_index,
        prompt_intent,
        schema_version
    from events

)

select * from renamed
