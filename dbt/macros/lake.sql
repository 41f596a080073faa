{#-
  Where the lake lives: $FLYWHEEL_LAKE_URI (s3://bucket/prefix) when set, else $FLYWHEEL_HOME/lake
  (the scrubbed zone; dbt never reads raw/). The same expression as lake_root in
  models/staging/lake/_lake__sources.yml, which cannot call a macro.
-#}
{% macro lake_root() -%}
    {{ return((env_var('FLYWHEEL_LAKE_URI', '') or (env_var('FLYWHEEL_HOME', '../.flywheel') ~ '/lake')).strip().rstrip('/')) }}
{%- endmacro %}


{#-
  True when a lake table has at least one Parquet file. Tables written by a later stage (the PII
  findings of the privacy stage) may not exist yet on a fresh home; their staging view is then
  empty instead of failing. At parse time it answers true so that dbt records the source.
-#}
{% macro lake_table_has_files(relative_glob) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set found = run_query("select count(*) from glob('" ~ lake_root() ~ "/" ~ relative_glob ~ "')") -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}
