{#-
  The run window: the arrival days (ingest_date) the current run processes. Dagster passes its
  partition's days in the environment (FLYWHEEL_DBT_MIN_DATE / FLYWHEEL_DBT_MAX_DATE); the vars
  min_date / max_date, when given (by hand, unit tests), take precedence.

  Not --vars: dbt re-parses the whole project whenever a var changes, which a daily var does
  every day.

  Read at run time only, never while dbt parses: a file that reads an environment variable at
  parse time is parsed again whenever its value changes, which the window's does on every run
  (21 files, ~5 s of every daily build and of the history build after it, measured). So nothing
  the window decides may be parse-time configuration: the incremental models' delete predicates
  are data (`window_predicates`) that their strategy (`delete_insert_in_window`, below) turns into
  SQL when the model runs. A ref() written only inside a window branch (`run_window_is_set()`)
  is never recorded, as the branch is false while dbt parses: write it outside the branch too,
  or as a `-- depends_on:` comment.

  Incremental models recompute only what the window can change, also when they are first created
  (a fresh warehouse's first day processes that day, not the whole lake). Without a window, or
  with --full-refresh, a run processes everything in the lake: the same rows as day-by-day runs.
-#}

{#- One end of the window ('min' or 'max'): an ISO date, or none without a window (always none
    while dbt parses). Anything else stops the run here with its name, not as a cast error in
    some model's SQL. -#}
{% macro window_day(end) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
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
  have changed, not all history (which would make every daily run cost O(history)). Without a
  window (pytest, a full build, an ad-hoc `dbt test`) tests see every row.
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
  The delete+insert strategy with the window's predicates on its delete by key, decided when the
  model runs (a custom incremental strategy: `incremental_strategy='delete_insert_in_window'`).
  The model declares them as data in its config, `window_predicates`, a list of:

  - {'recomputed_from': column, 'days_before': N}: the rows a run recomputes arrived at most N
    days before its window, so the delete only needs to look there (DuckDB skips the older row
    groups instead of scanning every key of the table). Nothing without a window.
  - {'later_than_window': column}: only copies that arrived after the window's last day are
    replaced by key ('false', nothing, without a window: the pre-hook deleted every row then).
-#}
{% macro get_incremental_delete_insert_in_window_sql(arg_dict) -%}
    {%- set predicates = (arg_dict['incremental_predicates'] or []) + window_predicates(config.get('window_predicates', [])) -%}
    {{ return(get_delete_insert_merge_sql(arg_dict['target_relation'], arg_dict['temp_relation'],
                                          arg_dict['unique_key'], arg_dict['dest_columns'], predicates)) }}
{%- endmacro %}


{#- The SQL of a model's `window_predicates` (above) for this run's window. -#}
{% macro window_predicates(specs) -%}
    {%- set predicates = [] -%}
    {%- for spec in specs -%}
        {%- if 'recomputed_from' in spec -%}
            {%- if window_is_given() -%}
                {%- do predicates.append(spec['recomputed_from'] ~ " >= date '" ~ window_day('min') ~ "' - " ~ (spec['days_before'] | int)) -%}
            {%- endif -%}
        {%- elif 'later_than_window' in spec -%}
            {%- set last_day = window_day('max') -%}
            {%- do predicates.append(spec['later_than_window'] ~ " > date '" ~ last_day ~ "'" if last_day else "false") -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error("window_predicates: unknown entry " ~ spec) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(predicates) }}
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
