"""Success signals: the dbt project run by Dagster, its quality gates and its benchmark."""
