{#-
  Fails on every row where `expression` is not true (null counts as not true).
  The project's own version of dbt_utils.expression_is_true: dbt packages cannot be installed.
-#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
