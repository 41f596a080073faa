with events as (

    select * from {{ ref('base_lake__events') }}
    where event_type = 'gen_ai.evaluation.result'

),

renamed as (

    select
        event_id as feedback_id,
        occurred_at,
        ingest_date,
        workspace_id,
        user_id,
        session_id,
        app_id,
        turn_id,
        response_id,
        evaluation_name,
        score_value,
        score_label,
        case
            when evaluation_name = 'user_thumbs' then score_value >= 1
        end as is_thumbs_up,
        case
            when evaluation_name = 'user_rating' then cast(score_value as integer)
        end as rating,
        schema_version
    from events

)

select * from renamed
