{#-
  dbt's relationships test, with the parent read only where the child's rows can point: parent
  rows whose `to_window_column` is at most `days_before` days before the run's window (all rows
  without vars). Used where the parent is a big fact table (generations, sessions), so that a
  daily run does not scan all of its history.
-#}
{% test relationships_in_window(model, column_name, to, field, to_window_column, days_before) %}

with child as (

    select {{ column_name }} as value from {{ model }}
    where {{ column_name }} is not null

),

parent as (

    select {{ field }} as value from {{ to }}
    where {{ in_test_window(to_window_column, days_before, 36500) }}

)

select child.value
from child
anti join parent using (value)

{% endtest %}
