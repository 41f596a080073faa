with events as (

    select * from {{ ref('base_lake__events') }}
    where event_type = 'consent.changed'

),

renamed as (

    select
        event_id as consent_change_id,
        occurred_at as changed_at,
        ingest_date,
        workspace_id,
        user_id,
        consent_scope,
        consent_status,
        schema_version
    from events

)

select * from renamed
