{#-
  The turns a run can change: (session_id, turn_id) of every event that arrived in the run
  window, plus the turns of the generations those events name by response_id.

  `relations` (model refs or CTE names) hold session_id, turn_id, response_id and ingest_date;
  `generations` holds the candidate generations (response_id, session_id, turn_id), already
  limited to the arrival days the caller looks at. Only rendered in incremental runs.
-#}
{% macro touched_turns(relations, generations) -%}
    with arrived as (
        {%- for relation in relations %}
        select session_id, turn_id, response_id
        from {{ relation }}
        where {{ in_run_window('ingest_date') }}
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ),

    named_generations as (
        select generations.session_id, generations.turn_id
        from {{ generations }} as generations
        semi join (select distinct response_id from arrived where response_id is not null) as named
            using (response_id)
    )

    select session_id, turn_id from arrived
    union
    select session_id, turn_id from named_generations
{%- endmacro %}
