{#-
  Fails on every row where one of `columns` is null: the not_null test for many columns at once,
  one query instead of one per column (every test is a query of every daily run).
-#}
{% test columns_not_null(model, columns) %}

select {{ columns | join(', ') }}
from {{ model }}
where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}

{% endtest %}
