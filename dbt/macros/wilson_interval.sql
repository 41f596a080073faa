{#-
  The Wilson score interval of a binomial proportion: the one definition every rate's
  confidence interval uses. Renders two columns, <prefix>_ci_low and <prefix>_ci_high.

  z = 1.959964 is 95% (two-sided), z = 3.290527 is 99.9%. With p = k/n:
      centre     = (p + z^2/(2n)) / (1 + z^2/n)
      half_width = z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/(4n^2))
  Unlike p +/- z*sqrt(p(1-p)/n) it stays inside [0, 1] and behaves at p = 0 or 1 and small n.
  No trials: both bounds are null.
-#}
{% macro wilson_interval(successes, trials, prefix, z=1.959964) -%}
    {%- set n = "cast(" ~ trials ~ " as double)" -%}
    {%- set p = "(cast(" ~ successes ~ " as double) / " ~ n ~ ")" -%}
    {%- set z2 = "(" ~ z ~ " * " ~ z ~ ")" -%}
    {%- set centre = "(" ~ p ~ " + " ~ z2 ~ " / (2 * " ~ n ~ "))" -%}
    {%- set spread = z ~ " * sqrt(" ~ p ~ " * (1 - " ~ p ~ ") / " ~ n ~ " + " ~ z2 ~ " / (4 * " ~ n ~ " * " ~ n ~ "))" -%}
    {%- set scale = "(1 + " ~ z2 ~ " / " ~ n ~ ")" -%}
    -- exact at the edges (k = 0, k = n), where floating point would land a hair inside
    case
        when {{ trials }} > 0 and {{ successes }} = 0 then 0.0
        when {{ trials }} > 0 then greatest(0.0, ({{ centre }} - {{ spread }}) / {{ scale }})
    end as {{ prefix }}_ci_low,
    case
        when {{ trials }} > 0 and {{ successes }} = {{ trials }} then 1.0
        when {{ trials }} > 0 then least(1.0, ({{ centre }} + {{ spread }}) / {{ scale }})
    end as {{ prefix }}_ci_high
{%- endmacro %}


{#- The share k/n, null without trials. -#}
{% macro safe_rate(successes, trials) -%}
    cast({{ successes }} as double) / nullif(cast({{ trials }} as double), 0)
{%- endmacro %}
