with events as (

    select * from {{ ref('base_lake__events') }}
    where event_type = 'build.completed'

),

renamed as (

    select
        event_id as build_id,
        occurred_at as completed_at,
        ingest_date,
        workspace_id,
        user_id,
        session_id,
        app_id,
        turn_id,
        response_id,
        build_status,
        build_status = 'succeeded' as is_succeeded,
        build_error_class,
        build_duration_ms,
        schema_version
    from events

)

select * from renamed
