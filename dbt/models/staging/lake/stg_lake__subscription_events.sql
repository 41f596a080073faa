with source as (

    select * from {{ source('lake', 'billing') }}

),

first_copies as (

    -- the same rule as the interaction events: one row per event_id, the first arrival
    select * from source
    qualify row_number() over (
        partition by event_id order by ingest_date, source_file, source_line
    ) = 1

),

renamed as (

    select
        cast(event_id as varchar) as subscription_event_id,
        replace(event_type, 'subscription.', '') as subscription_event_type,
        cast(occurred_at as timestamp) as occurred_at,
        cast(ingest_date as date) as ingest_date,
        workspace_id,
        subscription_id,
        plan,
        seats,
        price_per_seat,
        currency,
        billing_interval,
        cancel_reason,
        schema_version
    from first_copies

)

select * from renamed
