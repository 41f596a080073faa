{#-
  The event log, typed and deduplicated over all history: one row per event_id, the copy that
  arrived first. Loaded incrementally one window of arrival days at a time; the stg_lake__ views
  select their event family from it, so no model re-reads the lake's Parquet.

  Free text (pipelines.contract.TEXT_COLUMNS) stays in the lake: no signal needs it, it is most
  of the bytes (a warehouse copy would be ten times the lake, uncompressed), and a deletion in the
  lake must not leave a copy behind. The training sets read the scrubbed text from the lake.

  A copy of an event already loaded from an earlier arrival day is dropped. Loading a day that is
  EARLIER than days already loaded also removes their later copies (delete by event_id below), so
  the table is the same whatever order the days were loaded in.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete_insert_in_window',
        unique_key='event_id',
        window_predicates=[{'later_than_window': 'ingest_date'}],
        pre_hook="{{ delete_run_window('ingest_date') }}",
    )
}}

with source as (

    select
        * exclude (prompt_text, assistant_text, code_patch, feedback_comment, build_error_message),
        -- the id as a 128-bit integer (its MD5): what a re-send is looked up by in the history
        md5_number(event_id) as event_key
    from {{ source('lake', 'events') }}
    where {{ in_run_window('ingest_date') }}

),

later_copies as (

    -- ingest keeps the first copy within a day and drops copies of ids seen in its own dedup
    -- window; this covers a re-send arriving any later than that, or days loaded out of order.
    -- Ranked on the key columns only: sorting whole rows (with their text) costs far more.
    select event_id, ingest_date, source_file, source_line
    from source
    qualify row_number() over (
        partition by event_id order by ingest_date, source_file, source_line
    ) > 1

),

first_copies as (

    select * from source
    anti join later_copies using (event_id, ingest_date, source_file, source_line)

),

{% if is_incremental() %}
loaded_earlier as (

    -- keys of the window's events already loaded from an earlier arrival day: the only lookup
    -- in all history, on one narrow integer column (DuckDB pushes a filter of the window's keys
    -- into the scan). The key decides, the id strings are not read: MD5's second preimages are
    -- out of reach, so only a client that made both ids of a collision (the known attacks need
    -- both messages) could make one of its own events pass for a re-send of the other.
    -- Comparing the ids as well scanned every stored id (0.4 s a day at 13 M events).
    select loaded.event_key
    from {{ this }} as loaded
    semi join source using (event_key)
    where {{ before_run_window('loaded.ingest_date') }}

),
{% endif %}

final as (

    -- the lake's columns are the contract's (pipelines.contract.arrow_schema("events")), free
    -- text aside: kept as they are, so a column added to the contract flows through with a
    -- --full-refresh
    select * replace (
        cast(occurred_at as timestamp) as occurred_at,
        cast(ingest_date as date) as ingest_date
    )
    from first_copies
    {% if is_incremental() %}
    anti join loaded_earlier using (event_key)
    {% endif %}

)

-- one event family after the other within a day: the stg_ views' event_type filters then skip
-- whole row groups (DuckDB zone maps)
select * from final
order by ingest_date, event_type, session_id, turn_id, occurred_at, event_id
