with events as (

    select * from {{ ref('base_lake__events') }}
    where event_type in (
        'generation.accepted',
        'generation.rejected',
        'generation.edited',
        'generation.reverted',
        'generation.regenerate_requested'
    )

),

renamed as (

    select
        event_id as action_id,
        replace(event_type, 'generation.', '') as action_type,
        occurred_at,
        ingest_date,
        workspace_id,
        user_id,
        session_id,
        app_id,
        turn_id,
        response_id,
        reject_reason,
        edit_lines_added,
        edit_lines_removed,
        schema_version
    from events

)

select * from renamed
