"""Great Expectations gates on the marts that training sets and dashboards read, as asset checks.

Each gate is a DuckDB query that reduces a mart to a small aggregate (per model, per day, ...)
and a list of expectations on it, validated with Great Expectations' pandas datasource in an
ephemeral context (no files, no network, no usage statistics). Row-level invariants over the big
tables stay in dbt tests, which run inside DuckDB. The gates on the marts the training-set export
reads (fct_generations, dim_users) are blocking: when one fails, the export does not run.
"""

import importlib
import json
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from pipelines.resources import FlywheelHome

# Aggregates over the last WINDOW_DAYS arrival days up to the run's day: recent enough to catch a
# broken day, large enough that a model's rate is not noise.
WINDOW_DAYS = 7
# A model's acceptance rate is only judged on at least this many generations in the window.
MIN_GENERATIONS = 200
# DuckDB lets one process write the warehouse, or several read it: wait this long for a writer.
LOCK_WAIT_S = 120.0


@dataclass(frozen=True)
class Gate:
    """One asset check: a query reducing a mart to a small frame, and the expectations on it."""

    name: str
    asset: str
    blocking: bool
    description: str
    sql: str  # DuckDB; $since and $until are the first and last arrival days evaluated
    expectations: tuple[tuple[str, Mapping[str, Any]], ...]  # (GE expectation class, its arguments)

    @property
    def check_key(self) -> dg.AssetCheckKey:
        return dg.AssetCheckKey(dg.AssetKey(self.asset), self.name)

    def spec(self) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(self.name, asset=self.asset, blocking=self.blocking,
                                 description=self.description)


@dataclass(frozen=True)
class GateOutcome:
    gate: Gate
    success: bool
    rows: int
    results: list[dict[str, Any]] = field(default_factory=list)
    preview: str = ""


def _between(column: str, low: float | None, high: float | None, **extra: Any) -> tuple[str, dict[str, Any]]:
    return ("ExpectColumnValuesToBeBetween", {"column": column, "min_value": low, "max_value": high, **extra})


def _in_set(column: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    return ("ExpectColumnValuesToBeInSet", {"column": column, "value_set": list(values)})


def _not_empty() -> tuple[str, dict[str, Any]]:
    return ("ExpectTableRowCountToBeBetween", {"min_value": 1, "max_value": None})


_IN_WINDOW = "ingest_date between $since and $until"

GATES: tuple[Gate, ...] = (
    Gate(
        "ge_acceptance_rate_plausible", "fct_generations", True,
        f"Per model with at least {MIN_GENERATIONS} generations in the last {WINDOW_DAYS} arrival days, the "
        "acceptance rate is within [0.05, 0.98]: outside it, the events or the attribution are broken, "
        "not the model (the simulator's models range 0.4-0.8).",
        f"""
        select request_model, count(*) as generations, avg(is_accepted::int) as acceptance_rate
        from fct_generations where {_IN_WINDOW}
        group by request_model having count(*) >= {MIN_GENERATIONS} order by request_model
        """,
        (_between("acceptance_rate", 0.05, 0.98),),
    ),
    Gate(
        "ge_unknown_labels_bounded", "fct_generations", True,
        "Per arrival day, at most 60% of generations are labelled unknown (no reaction): more means the "
        "actions stopped arriving or stopped being attributed, and a training set would shrink silently.",
        f"""
        select ingest_date, count(*) as generations,
            avg((outcome_label = 'unknown')::int) as unknown_share
        from fct_generations where {_IN_WINDOW} group by ingest_date order by ingest_date
        """,
        (_not_empty(), _between("unknown_share", 0.0, 0.6)),
    ),
    Gate(
        "ge_token_usage_valid", "fct_generations", True,
        "Per model: token counts present and positive, cache reads and writes within the input tokens, "
        "reasoning within the output tokens (OpenTelemetry counts them inside the totals). Cost is "
        "computed from these.",
        f"""
        select request_model,
            min(input_tokens) as min_input_tokens,
            min(output_tokens) as min_output_tokens,
            count(*) filter (where input_tokens is null or output_tokens is null) as missing_usage,
            count(*) filter (where coalesce(cache_read_input_tokens, 0)
                + coalesce(cache_creation_input_tokens, 0) > input_tokens) as cache_over_input,
            count(*) filter (where coalesce(reasoning_output_tokens, 0) > output_tokens)
                as reasoning_over_output
        from fct_generations where {_IN_WINDOW} group by request_model order by request_model
        """,
        (
            _between("min_input_tokens", 1, None),
            _between("min_output_tokens", 1, None),
            _between("missing_usage", 0, 0),
            _between("cache_over_input", 0, 0),
            _between("reasoning_over_output", 0, 0),
        ),
    ),
    Gate(
        "ge_labels_and_scores_valid", "fct_generations", True,
        "Every label is success, failure or unknown, every score is within [0, 1], and every success "
        "scores above 0.5 (else the weights contradict the label).",
        f"""
        select outcome_label, count(*) as generations,
            min(success_score) as min_score, max(success_score) as max_score,
            outcome_label <> 'success' or min(success_score) > 0.5 as consistent_with_label
        from fct_generations where {_IN_WINDOW} group by outcome_label order by outcome_label
        """,
        (
            _in_set("outcome_label", ["success", "failure", "unknown"]),
            _between("min_score", 0.0, 1.0),
            _between("max_score", 0.0, 1.0),
            _in_set("consistent_with_label", [True]),
        ),
    ),
    Gate(
        "ge_consent_states_valid", "dim_users", True,
        "Every user has a consent state (granted, revoked, never) and only granted users are eligible "
        "for training: the export filters on this.",
        """
        select consent_status, count(*) as users,
            count(*) filter (where is_training_eligible) as eligible,
            count(*) filter (where is_training_eligible <> (consent_status = 'granted')) as misflagged
        from dim_users group by consent_status order by consent_status
        """,
        (
            _in_set("consent_status", ["granted", "revoked", "never"]),
            _between("misflagged", 0, 0),
        ),
    ),
    Gate(
        "ge_rates_within_intervals", "fct_model_quality_daily", False,
        "Every daily rate is within [0, 1] and inside its own Wilson interval (the dashboards draw these).",
        """
        select event_date, request_model, prompt_intent, acceptance_rate, success_rate,
            acceptance_ci_low <= acceptance_rate and acceptance_rate <= acceptance_ci_high
                and (labelled = 0 or (success_ci_low <= success_rate and success_rate <= success_ci_high))
                as inside_interval
        from fct_model_quality_daily
        where event_date between cast($since as date) - 2 and cast($until as date)
        """,
        (
            _between("acceptance_rate", 0.0, 1.0),
            _between("success_rate", 0.0, 1.0),
            _in_set("inside_interval", [True]),
        ),
    ),
    Gate(
        "ge_no_day_without_events", "fct_events_daily", False,
        "Every arrival day from the first one loaded to the run's day has events: a day with none "
        "means a landing or ingest outage, which the health page must show.",
        """
        with days as (
            select unnest(generate_series(
                (select min(ingest_date) from fct_events_daily), cast($until as date), interval 1 day
            ))::date as ingest_date
        )
        select days.ingest_date, coalesce(sum(events), 0) as events
        from days left join fct_events_daily using (ingest_date)
        group by days.ingest_date order by days.ingest_date
        """,
        (_between("events", 1, None),),
    ),
    Gate(
        "ge_sessions_plausible", "fct_sessions", False,
        "At most 90% of recent sessions are abandoned, and at most 25% have no known turn (a session "
        "whose only events so far are actions from a late file, before its own day is loaded).",
        """
        select count(*) as sessions,
            avg(is_abandoned::int) as abandoned_share,
            avg((turns = 0)::int) as without_turns_share
        from fct_sessions where last_ingest_date between $since and $until
        """,
        (_between("abandoned_share", 0.0, 0.9), _between("without_turns_share", 0.0, 0.25)),
    ),
)


def evaluation_window(until: date) -> dict[str, date]:
    return {"since": until - timedelta(days=WINDOW_DAYS - 1), "until": until}


# Whether this process's daily dbt step may start Great Expectations' import on a thread (see
# pipelines/command_process.py): set by a command whose runs execute every step in this process.
_import_early = threading.Event()
_importer_lock = threading.Lock()
_importer: threading.Thread | None = None
GREAT_EXPECTATIONS_MODULES = ("great_expectations", "great_expectations.data_context.types.base")
# At exit, how long to let an early import still running finish (it takes 5-8 s).
IMPORT_FINISH_WAIT_S = 60.0


def allow_early_great_expectations_import() -> None:
    """Let ``start_importing_great_expectations`` work in this process (a ``flywheel`` command)."""
    _import_early.set()


def start_importing_great_expectations() -> threading.Thread | None:
    """Start importing Great Expectations on a daemon thread, if this process asked for it and
    no import has started; the first gate's own import then waits for it to finish (Python's
    per-module import locks). The thread, or None when there is nothing to start."""
    global _importer
    if not _import_early.is_set() or GREAT_EXPECTATIONS_MODULES[0] in sys.modules:
        return None
    with _importer_lock:
        if _importer is not None:
            return None  # started already

        def import_modules() -> None:
            try:
                for name in GREAT_EXPECTATIONS_MODULES:
                    importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the gate's own import raises it where it is reported
                return

        _importer = threading.Thread(target=import_modules, name="import-great-expectations", daemon=True)
        _importer.start()
        return _importer


def finish_importing_great_expectations(timeout_s: float = IMPORT_FINISH_WAIT_S) -> None:
    """Wait for an early import still running (a run that ended before its gates): a thread in
    the middle of an import must not meet the interpreter's shutdown."""
    if _importer is not None:
        _importer.join(timeout_s)


def validate_frame(frame: pd.DataFrame, gate: Gate) -> GateOutcome:
    """Validate one aggregate frame with Great Expectations (pandas datasource, ephemeral context)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )
    batch = (
        context.data_sources.add_pandas(f"{gate.asset}_aggregates")
        .add_dataframe_asset(gate.name)
        .add_batch_definition_whole_dataframe("whole")
    )
    suite = context.suites.add(gx.ExpectationSuite(
        name=gate.name,
        expectations=[getattr(gx.expectations, kind)(**kwargs) for kind, kwargs in gate.expectations],
    ))
    validation = context.validation_definitions.add(gx.ValidationDefinition(name=gate.name, data=batch, suite=suite))
    result = validation.run(batch_parameters={"dataframe": frame})
    results = [
        {
            "expectation": r.expectation_config.type,
            "kwargs": {k: v for k, v in r.expectation_config.kwargs.items() if k != "batch_id"},
            "success": bool(r.success),
            "observed": _observed(r.result),
        }
        for r in result.results
    ]
    return GateOutcome(gate, bool(result.success), len(frame), results, frame.head(20).to_markdown(index=False))


def _observed(result: Mapping[str, Any]) -> Any:
    if "observed_value" in result:
        return result["observed_value"]
    return {k: result[k] for k in ("unexpected_count", "partial_unexpected_list") if k in result}


def run_gate(connection: duckdb.DuckDBPyConnection, gate: Gate, until: date) -> GateOutcome:
    parameters = {name: day for name, day in evaluation_window(until).items() if f"${name}" in gate.sql}
    frame = connection.execute(gate.sql, parameters).df()
    return validate_frame(frame, gate)


def check_result(outcome: GateOutcome) -> dg.AssetCheckResult:
    gate = outcome.gate
    failed = [r for r in outcome.results if not r["success"]]
    return dg.AssetCheckResult(
        check_name=gate.name,
        asset_key=gate.asset,
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR if gate.blocking else dg.AssetCheckSeverity.WARN,
        description=gate.description,
        metadata={
            "rows_validated": outcome.rows,
            "failed_expectations": dg.MetadataValue.json(failed),
            "expectations": dg.MetadataValue.json(outcome.results),
            "validated_frame": dg.MetadataValue.md(outcome.preview or "_empty_"),
        },
    )


def connect_read_only(path: Path, wait_s: float = LOCK_WAIT_S) -> duckdb.DuckDBPyConnection:
    """A read-only connection, waiting (up to ``wait_s``) while another process writes the file."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(1.0)


def _until(context: dg.AssetCheckExecutionContext, connection: duckdb.DuckDBPyConnection) -> date:
    """The run's (last) arrival day; outside a partitioned run, the newest day in the warehouse."""
    if context.has_partition_key_range:
        return date.fromisoformat(context.partition_key_range.end)
    if context.has_partition_key:
        return date.fromisoformat(context.partition_key)
    newest = connection.execute("select max(ingest_date) from fct_generations").fetchone()[0]
    return newest or date.today()


# One op runs every gate (one GE import, one read-only connection). In the daily job it runs
# after the dbt models; in the history job, its blocking gates on fct_generations order it before
# everything downstream of that mart (the training set, the business dbt models), so it never
# holds the warehouse open while dbt writes it.
@dg.multi_asset_check(
    specs=[gate.spec() for gate in GATES],
    can_subset=True,
    name="signals_quality_gates",
    description="Great Expectations suites on the signal and health marts (see pipelines/signals/quality.py).",
)
def signals_quality_gates(
    context: dg.AssetCheckExecutionContext, flywheel: FlywheelHome
) -> Iterator[dg.AssetCheckResult]:
    selected = context.selected_asset_check_keys
    with connect_read_only(flywheel.paths().warehouse) as connection:
        until = _until(context, connection)
        for gate in GATES:
            if gate.check_key in selected:
                outcome = run_gate(connection, gate, until)
                if not outcome.success:
                    context.log.warning(f"{gate.asset}:{gate.name} failed: {json.dumps(outcome.results, default=str)[:2000]}")
                yield check_result(outcome)


QUALITY_CHECKS = [signals_quality_gates]
