{#-
  int_session_days: the day's first event of one kind, as a struct that orders by kind (prompt 0,
  generation 1, action 2), then time. The minimum over kinds and days is the session's first
  prompt if it has one, else its first generation, else its first action: whose session it is.
-#}
{% macro session_first_event(kind_rank, at_column) -%}
    {'kind_rank': {{ kind_rank }}, 'at': {{ at_column }}, 'workspace_id': workspace_id, 'user_id': user_id, 'app_id': app_id}
{%- endmacro %}
