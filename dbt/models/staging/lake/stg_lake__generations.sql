with events as (

    select * from {{ ref('base_lake__events') }}
    where event_type = 'generation.completed'

),

renamed as (

    select
        event_id as generation_id,
        response_id,
        occurred_at as completed_at,
        ingest_date,
        workspace_id,
        user_id,
        session_id,
        app_id,
        turn_id,
        operation_name,
        provider_name,
        request_model,
        response_model,
        input_tokens,
        output_tokens,
        cache_read_input_tokens,
        cache_creation_input_tokens,
        reasoning_output_tokens,
        finish_reasons,
        finish_reasons[1] as finish_reason,
        time_to_first_chunk_s,
        latency_ms,
        coalesce(len(code_files), 0) as code_files_touched,
        code_lines_added,
        code_lines_removed,
        coalesce(code_lines_added, 0) + coalesce(code_lines_removed, 0) as code_lines_changed,
        code_files,
        schema_version
    from events

)

select * from renamed
