{#-
  dbt wraps the model a generic test reads in this subquery (its `where` config). Flywheel adds
  one rule: a model that declares `meta: {test_window_column: <arrival-day column>}` is tested,
  in a daily run, over the rows of the run's arrival days (that column within [min_date,
  max_date]), so daily tests cost what the day costs. The few rows of earlier days a run
  re-computes (late actions) were tested when their day ran, and every row is tested by a run
  without a window (pytest, CI, a full build). A test's own `where` still applies on top.
-#}
{% macro duckdb__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set window_column = none -%}
    {%- if execute and model.attached_node and model.attached_node in graph.nodes -%}
        {%- set window_column = graph.nodes[model.attached_node].config.meta.get('test_window_column') -%}
    {%- endif -%}
    {%- set conditions = [] -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- if window_column and window_day('min') is not none -%}
        {%- do conditions.append(in_test_window(window_column)) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}
