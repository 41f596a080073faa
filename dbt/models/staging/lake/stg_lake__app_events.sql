with events as (

    select * from {{ ref('base_lake__events') }}
    where event_type in ('app.previewed', 'app.published')

),

renamed as (

    select
        event_id as app_event_id,
        replace(event_type, 'app.', '') as app_event_type,
        occurred_at,
        ingest_date,
        workspace_id,
        user_id,
        session_id,
        app_id,
        turn_id,
        response_id,
        deploy_target,
        schema_version
    from events

)

select * from renamed
