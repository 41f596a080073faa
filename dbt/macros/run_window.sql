{#-
  The run window: the arrival days (ingest_date) the current run processes. Dagster passes its
  partition's days in the environment (FLYWHEEL_DBT_MIN_DATE / FLYWHEEL_DBT_MAX_DATE); the vars
  min_date / max_date, when given (by hand, unit tests), take precedence.

  Why the environment: dbt re-parses the whole project when a var changes, which a daily var does
  every day, but only the files that read an environment variable when that variable changes
  (partial parsing), and Dagster keeps the home's partial-parse state between runs.

  Incremental models recompute only what the window can change, also when they are first created
  (a fresh warehouse's first day processes that day, not the whole lake). Without a window, or
  with --full-refresh, a run processes everything in the lake: the same rows as day-by-day runs.
-#}

{#- One end of the window ('min' or 'max'): an ISO date, or none without a window. Anything
    else stops the run here with its name, not as a cast error in some model's SQL. -#}
{% macro window_day(end) -%}
    {%- set source = end ~ '_date' -%}
    {%- set day = var(source, none) -%}
    {%- if day is none -%}
        {%- set source = 'FLYWHEEL_DBT_' ~ (end | upper) ~ '_DATE' -%}
        {%- set day = env_var(source, '') or none -%}
    {%- endif -%}
    {%- if day is not none and not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', day | string) -%}
        {{ exceptions.raise_compiler_error(source ~ " must be a date (YYYY-MM-DD), got '" ~ day ~ "'") }}
    {%- endif -%}
    {{ return(day) }}
{%- endmacro %}


{#- Both ends of the window are given (by vars or the environment). -#}
{% macro window_is_given() -%}
    {{ return(window_day('min') is not none and window_day('max') is not none) }}
{%- endmacro %}


{% macro run_window_is_set() -%}
    {{ return(window_is_given() and not should_full_refresh()) }}
{%- endmacro %}


{#- A predicate on an arrival-day column: inside [min_date - days_before, max_date + days_after]. -#}
{% macro in_run_window(column, days_before=0, days_after=0) -%}
    {%- if run_window_is_set() -%}
        {{ column }} between date '{{ window_day('min') }}' - {{ days_before }}
            and date '{{ window_day('max') }}' + {{ days_after }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- A predicate true for arrival days before the window (false in a full build: nothing is before). -#}
{% macro before_run_window(column) -%}
    {%- if run_window_is_set() -%}
        {{ column }} < date '{{ window_day('min') }}'
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}


{#-
  Pre-hook of the incremental models keyed by arrival day: delete the window's rows first, so a
  re-run replaces the days (even rows whose events were since removed from the lake). An
  incremental run without a window recomputes everything, so it deletes everything first.
-#}
{% macro delete_run_window(column='ingest_date') -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_run_window(column) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- The attribution lookback L (arrival days), validated once. -#}
{% macro lookback_days() -%}
    {%- set days = var('attribution_lookback_days') | int -%}
    {%- if days < 0 -%}
        {{ exceptions.raise_compiler_error("attribution_lookback_days must be >= 0, got " ~ days) }}
    {%- endif -%}
    {{ return(days) }}
{%- endmacro %}


{#-
  The same window for data tests: a test of an incremental model checks the rows the run could
  have changed, not all history (which would make every daily run cost O(history)). Without
  vars (pytest, a full build, an ad-hoc `dbt test`) tests see every row.
-#}
{% macro in_test_window(column, days_before=0, days_after=0) -%}
    {%- if window_is_given() -%}
        {{ column }} between date '{{ window_day('min') }}' - {{ days_before }}
            and date '{{ window_day('max') }}' + {{ days_after }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#-
  incremental_predicates for delete+insert by key: the rows a run recomputes arrived at most
  `days_before` days before its window, so the delete only needs to look there (DuckDB skips the
  older row groups instead of scanning every key of the table). Empty without a window.
-#}
{% macro recomputed_rows_predicates(column, days_before) -%}
    {%- if window_is_given() -%}
        {{ return([column ~ " >= date '" ~ window_day('min') ~ "' - " ~ days_before]) }}
    {%- else -%}
        {{ return([]) }}
    {%- endif -%}
{%- endmacro %}


{#-
  From the window's first day on, with no end: for aggregates of base_lake__events, whose LATER
  days lose rows when an earlier day is loaded after them (a re-send's later copy is removed).
  In day order there is nothing after the window, so this costs nothing.
-#}
{% macro from_run_window_on(column) -%}
    {%- if run_window_is_set() -%}
        {{ column }} >= date '{{ window_day('min') }}'
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#-
  Second pre-hook of models keyed by (session, arrival day) that recompute a session's days
  [min - L, max + L]: delete those days of every session the run touches, so that a session-day
  which no longer has rows disappears instead of staying stale. It happens when days run out of
  order: a re-sent event first kept in a later day moves to the earlier day once that is loaded,
  and delete+insert by key alone only replaces the keys the run produces.
-#}
{% macro delete_touched_session_days(relations, lookback) -%}
    {%- if is_incremental() and run_window_is_set() -%}
        delete from {{ this }}
        where {{ in_run_window('ingest_date', lookback, lookback) }}
          and session_id in ({{ touched_sessions(relations) }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- The sessions a run touches: session_id of every row of `relations` (refs or CTE names, with
    session_id and ingest_date) that arrived in the run window. -#}
{% macro touched_sessions(relations) -%}
    {%- for relation in relations %}
    select session_id from {{ relation }} where {{ in_run_window('ingest_date') }}
    {% if not loop.last %}union{% endif %}
    {%- endfor %}
{%- endmacro %}
