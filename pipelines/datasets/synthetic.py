"""Synthetic inputs for the training-set build: a scrubbed lake and the two marts it reads.

The tests use ``write_lake`` / ``write_marts`` with hand-made rows; the benchmark uses
``synthesize`` to make a million interactions in DuckDB in seconds (running the whole pipeline
at that scale would take far longer, and the build reads only these three inputs anyway). Only
the columns the build reads are filled; the lake files still have the contract's exact schema.
Nothing here contains personal data: texts are composed from fixed word banks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from pipelines import contract, lake
from pipelines.settings import FlywheelPaths

EVENTS_SCHEMA = contract.arrow_schema("events")

GENERATIONS_DDL = """
CREATE OR REPLACE TABLE fct_generations (
    generation_id VARCHAR, response_id VARCHAR, prompt_id VARCHAR, workspace_id VARCHAR,
    user_id VARCHAR, session_id VARCHAR, app_id VARCHAR, turn_id VARCHAR, turn_index INTEGER,
    generation_number_in_turn INTEGER, prompt_intent VARCHAR, provider_name VARCHAR,
    request_model VARCHAR, response_model VARCHAR, success_score DOUBLE, outcome_label VARCHAR,
    failure_reason VARCHAR, completed_at TIMESTAMP, ingest_date DATE)
"""
USERS_DDL = """
CREATE OR REPLACE TABLE dim_users (
    user_id VARCHAR, workspace_id VARCHAR, consent_status VARCHAR, revoked_at TIMESTAMP,
    is_training_eligible BOOLEAN)
"""


def _complete(table: pa.Table) -> pa.Table:
    """The rows with every column of the contract's event schema (absent ones null)."""
    columns = [
        table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
        for f in EVENTS_SCHEMA
    ]
    return pa.Table.from_arrays(columns, schema=EVENTS_SCHEMA)


def write_lake(paths: FlywheelPaths, events_by_day: Mapping[str, Iterable[pa.RecordBatch | pa.Table]]) -> None:
    """Write each day's events as ``lake/events/ingest_date=DAY/part-0.parquet``."""
    root = paths.lake_table("events")
    for day, batches in events_by_day.items():
        lake.write_partition(
            (_complete(b if isinstance(b, pa.Table) else pa.Table.from_batches([b])) for b in batches),
            EVENTS_SCHEMA, lake.partition_path(root, day), paths.tmp,
        )


def write_lake_rows(paths: FlywheelPaths, rows: Iterable[Mapping[str, Any]]) -> None:
    """Hand-made event rows (dicts with an ``ingest_date``) into the lake, one file per day."""
    by_day: dict[str, list[dict[str, Any]]] = {}
    for number, row in enumerate(rows):
        event = {"source_file": "synthetic.jsonl", "source_line": number + 1, **row}
        by_day.setdefault(str(event.pop("ingest_date")), []).append(event)
    tables = {}
    for day, day_rows in sorted(by_day.items()):
        names = sorted({k for r in day_rows for k in r})
        fields = [EVENTS_SCHEMA.field(n) for n in names]
        tables[day] = [pa.Table.from_pylist(day_rows, schema=pa.schema(fields))]
    write_lake(paths, tables)


def write_marts(paths: FlywheelPaths, generations: Iterable[Mapping[str, Any]], users: Iterable[Mapping[str, Any]]) -> None:
    """Replace ``fct_generations`` and ``dim_users`` in the warehouse with these rows."""
    gens = pa.Table.from_pylist(list(generations)) if generations else None
    people = pa.Table.from_pylist(list(users)) if users else None
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute(GENERATIONS_DDL)
        con.execute(USERS_DDL)
        if gens is not None and gens.num_rows:
            con.register("new_generations", gens)
            con.execute("INSERT INTO fct_generations BY NAME SELECT * FROM new_generations")
        if people is not None and people.num_rows:
            con.register("new_users", people)
            con.execute("INSERT INTO dim_users BY NAME SELECT * FROM new_users")


def set_consent(paths: FlywheelPaths, user_id: str, status: str, at: datetime | None = None) -> None:
    """What dbt's dim_users says after a consent.changed event (for tests of revocation)."""
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute(
            "UPDATE dim_users SET consent_status = ?, is_training_eligible = (? = 'granted'), "
            "revoked_at = CASE WHEN ? = 'revoked' THEN ? ELSE revoked_at END WHERE user_id = ?",
            [status, status, status, at or datetime(2026, 11, 30), user_id],
        )


def delete_user_data(paths: FlywheelPaths, user_id: str) -> None:
    """A deletion request carried out upstream: the user's generations leave the marts."""
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("DELETE FROM fct_generations WHERE user_id = ?", [user_id])
        con.execute("DELETE FROM dim_users WHERE user_id = ?", [user_id])


# --- at scale -----------------------------------------------------------------------------------

_VERBS = ["build me", "create", "make", "add", "fix", "change", "update", "improve", "redesign", "refactor"]
_ADJECTIVES = ["simple", "clean", "modern", "minimal", "fun", "colorful", "fast", "polished", "basic", "bold"]
_APPS = [
    "habit tracker", "expense tracker", "todo list", "kanban board", "recipe finder", "weather app",
    "chat app", "job board", "invoice generator", "booking page", "landing page", "portfolio site",
    "snake game", "quiz game", "note taking app", "fitness log", "crm for an agency", "event ticketing site",
    "meal planner", "travel planner", "book club app", "plant care tracker", "survey builder", "url shortener",
]
_FEATURES = [
    "a login page", "dark mode", "a search bar", "filters by category", "a calendar view", "csv export",
    "a settings page", "email notifications", "image upload", "comments", "a leaderboard", "pagination",
    "an admin panel", "role based permissions", "a map with pins", "tags", "a progress bar", "reminders",
    "a pricing table", "an onboarding flow", "keyboard shortcuts", "undo and redo", "a rich text editor",
    "real time updates", "a newsletter signup", "drag and drop", "a share button", "an activity feed",
]
_COMMON = ["fix it", "continue", "make it prettier", "add dark mode", "still not working", "yes do it"]
_FOREIGN = ["crea una app de reservas para mi peluquería", "fais-moi une application de liste de tâches simple",
            "erstelle eine App zum Verwalten von Rezepten"]
_COMPONENTS = ["Header", "Sidebar", "TaskList", "ChartCard", "SearchBar", "LoginForm", "Modal", "Footer",
               "PriceTable", "Calendar", "Avatar", "Toast", "Tabs", "DataGrid", "Stepper", "Badge"]
_STATEMENTS = [
    "import {{ {c} }} from './components/{c}';",
    "export function {c}({{ items, onSelect }}: {c}Props) {{",
    "  const [open, setOpen] = useState(false);",
    "      <{c} items={{items}} onSelect={{handleSelect}} />",
    "type {c}Props = {{ items: Item[]; onSelect: (id: string) => void }};",
    "  const filtered{c} = items.filter((item) => item.name.includes(query));",
    "  useEffect(() => {{ load{c}().then(set{c}Items); }}, []);",
    "    <div className=\"{c} flex flex-col gap-4 p-6\">",
]
_CODE_LINES = [s.format(c=c) for c in _COMPONENTS for s in _STATEMENTS]
_FILES = [f"src/components/{c}.tsx" for c in _COMPONENTS] + ["src/App.tsx", "src/index.css", "src/lib/api.ts"]
_INTENTS = ["new_app", "add_feature", "fix_bug", "change_style", "follow_up", "other"]
_MODELS = ["claude-sonnet-4-5", "gpt-5", "gemini-2.5-pro", "flywheel-coder-v1"]
_FAILURES = ["rejected", "reverted", "negative_feedback", "build_failed", "regenerated"]


@dataclass(frozen=True)
class SyntheticReport:
    interactions: int
    generations: int
    events: int
    users: int


def _list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def synthesize(paths: FlywheelPaths, interactions: int, *, days: int = 7, users: int | None = None,
               seed: int = 7, start: date = date(2026, 11, 2)) -> SyntheticReport:
    """``interactions`` turns (a prompt and its generations) over ``days``, in the lake and the marts.

    Sessions have 1-8 turns; a turn has one generation, or two when the first was regenerated.
    Labels: about 55% success, 30% failure (reasons as the signals give them), 15% unknown;
    10% of users never consented and 2% revoked. Exact and near duplicates arise naturally from
    common prompts ("fix it") and the small code-line bank.
    """
    users = users or max(10, interactions // 40)
    con = duckdb.connect(config={"preserve_insertion_order": False})

    def rnd(args: str) -> str:
        # a deterministic pseudo-random non-negative integer of the arguments
        return f"CAST(hash({seed}, {args}) % 1000000007 AS BIGINT)"

    con.execute(f"""
        CREATE TABLE turns AS
        WITH raw AS (SELECT t, {rnd("t, 'session'")} % 8 AS session_bump FROM range({interactions}) r(t)),
        numbered AS (
            -- a new session starts where the bump is 0 (1 turn in 8 on average)
            SELECT t, sum(CASE WHEN session_bump = 0 OR t = 0 THEN 1 ELSE 0 END) OVER (ORDER BY t) AS sno
            FROM raw)
        SELECT t, sno,
               'ses_' || sno AS session_id,
               (t - min(t) OVER (PARTITION BY sno))::INTEGER AS turn_index,
               'usr_' || ({rnd("sno, 'user'")} % {users}) AS user_id,
               {_list(_INTENTS)}[1 + {rnd("t, 'intent'")} % {len(_INTENTS)}] AS intent,
               (sno % {days})::INTEGER AS day
        FROM numbered""")
    con.execute(f"""
        CREATE TABLE prompts AS
        SELECT *, 'trn_' || t AS turn_id, 'evt_p_' || t AS prompt_id,
            CASE WHEN {rnd("t, 'kind'")} % 100 < 10 THEN {_list(_COMMON)}[1 + {rnd("t, 'c'")} % {len(_COMMON)}]
                 WHEN {rnd("t, 'kind'")} % 100 < 12 THEN {_list(_FOREIGN)}[1 + {rnd("t, 'f'")} % {len(_FOREIGN)}]
                 ELSE {_list(_VERBS)}[1 + {rnd("t, 'v'")} % {len(_VERBS)}] || ' a '
                      || {_list(_ADJECTIVES)}[1 + {rnd("t, 'a'")} % {len(_ADJECTIVES)}] || ' '
                      || {_list(_APPS)}[1 + {rnd("t, 'app'")} % {len(_APPS)}] || ' with '
                      || {_list(_FEATURES)}[1 + {rnd("t, 'f1'")} % {len(_FEATURES)}] || ' and '
                      || {_list(_FEATURES)}[1 + {rnd("t, 'f2'")} % {len(_FEATURES)}] END AS prompt_text
        FROM turns""")
    con.execute(f"""
        CREATE TABLE gens AS
        WITH first_outcome AS (
            SELECT *, {rnd("t, 'outcome'")} % 100 AS roll FROM prompts),
        expanded AS (
            SELECT *, 1 AS n FROM first_outcome
            UNION ALL
            SELECT *, 2 AS n FROM first_outcome WHERE roll BETWEEN 55 AND 62)  -- regenerated
        SELECT *, 'evt_g_' || t || '_' || n AS generation_id, 'resp_' || t || '_' || n AS response_id,
            CASE WHEN n = 1 AND roll BETWEEN 55 AND 62 THEN 'failure'
                 WHEN {rnd("t, n, 'label'")} % 100 < 62 THEN 'success'
                 WHEN {rnd("t, n, 'label'")} % 100 < 85 THEN 'failure' ELSE 'unknown' END AS label,
            {_list(_MODELS)}[1 + {rnd("t, n, 'model'")} % {len(_MODELS)}] AS model,
            1 + {rnd("t, n, 'lines'")} % 30 AS patch_lines
        FROM expanded""")
    con.execute(f"""
        CREATE TABLE gens_scored AS
        SELECT *,
            CASE label WHEN 'success' THEN 0.7 + ({rnd("t, n, 's'")} % 30) / 100.0
                       WHEN 'failure' THEN ({rnd("t, n, 's'")} % 30) / 100.0 ELSE 0.5 END AS success_score,
            CASE WHEN label <> 'failure' THEN NULL
                 WHEN n = 1 AND roll BETWEEN 55 AND 62 THEN 'regenerated'
                 ELSE {_list(_FAILURES)}[1 + {rnd("t, n, 'why'")} % 4] END AS failure_reason,
            'I updated the ' || {_list(_COMPONENTS)}[1 + {rnd("t, n, 'comp'")} % {len(_COMPONENTS)}]
                || ' component and wired it into the page so that ' || prompt_text || ' works.' AS assistant_text,
            '--- a/' || {_list(_FILES)}[1 + {rnd("t, n, 'file'")} % {len(_FILES)}] || chr(10) || '+++ b/'
                || {_list(_FILES)}[1 + {rnd("t, n, 'file'")} % {len(_FILES)}] || chr(10)
                || '@@ -1,0 +1,' || patch_lines || ' @@' || chr(10)
                || array_to_string(list_transform(range(patch_lines),
                       lambda k: '+' || {_list(_CODE_LINES)}[1 + {rnd("t, n, k")} % {len(_CODE_LINES)}]), chr(10))
                || chr(10) AS code_patch
        FROM gens""")
    start_ts = datetime.combine(start, datetime.min.time())
    con.execute(f"""
        CREATE TABLE users AS
        SELECT DISTINCT user_id,
            'ws_' || ({rnd("user_id, 'ws'")} % {max(1, users // 4)}) AS workspace_id,
            CASE WHEN {rnd("user_id, 'consent'")} % 100 < 10 THEN 'never'
                 WHEN {rnd("user_id, 'consent'")} % 100 < 12 THEN 'revoked' ELSE 'granted' END AS consent_status
        FROM turns""")
    day0 = start.isoformat()
    with duckdb.connect(str(paths.warehouse)) as wh:
        wh.execute(GENERATIONS_DDL)
        wh.execute(USERS_DDL)
    con.execute(f"ATTACH '{paths.warehouse}' AS wh")
    con.execute(f"""
        INSERT INTO wh.fct_generations BY NAME
        SELECT g.generation_id, g.response_id, g.prompt_id, u.workspace_id, g.user_id, g.session_id,
               'app_' || g.sno AS app_id, g.turn_id, g.turn_index, g.n AS generation_number_in_turn,
               g.intent AS prompt_intent, 'synthetic' AS provider_name, g.model AS request_model,
               g.model AS response_model, g.success_score, g.label AS outcome_label, g.failure_reason,
               TIMESTAMP '{start_ts}' + to_days(g.day) + to_seconds(g.t % 80000) AS completed_at,
               DATE '{day0}' + g.day AS ingest_date
        FROM gens_scored AS g JOIN users AS u USING (user_id)""")
    con.execute("""
        INSERT INTO wh.dim_users BY NAME
        SELECT user_id, workspace_id, consent_status,
               CASE WHEN consent_status = 'revoked' THEN TIMESTAMP '2026-11-05' END AS revoked_at,
               consent_status = 'granted' AS is_training_eligible
        FROM users""")
    con.execute("DETACH wh")
    for day in range(days):
        day_name = (start + timedelta(days=day)).isoformat()
        reader = con.sql(f"""
            SELECT 'prompt.submitted' AS event_type, prompt_id AS event_id, '1.0' AS schema_version,
                   TIMESTAMP '{start_ts}' + to_days(day) + to_seconds(t % 80000) AS occurred_at,
                   'ws' AS workspace_id, user_id, session_id, 'app_' || sno AS app_id, turn_id,
                   turn_index, NULL AS response_id, prompt_text, intent AS prompt_intent,
                   NULL AS assistant_text, NULL AS code_patch, 'synthetic.jsonl' AS source_file, t AS source_line
            FROM prompts WHERE day = {day}
            UNION ALL
            SELECT 'generation.completed', generation_id, '1.0',
                   TIMESTAMP '{start_ts}' + to_days(day) + to_seconds(t % 80000 + n), 'ws', user_id,
                   session_id, 'app_' || sno, turn_id, NULL, response_id, NULL, NULL, assistant_text,
                   code_patch, 'synthetic.jsonl', t
            FROM gens_scored WHERE day = {day}""").to_arrow_reader(50_000)
        write_lake(paths, {day_name: reader})
    counts = con.execute(
        "SELECT (SELECT count(*) FROM prompts), (SELECT count(*) FROM gens_scored), (SELECT count(*) FROM users)"
    ).fetchone()
    con.close()
    assert counts is not None
    return SyntheticReport(interactions, int(counts[1]), int(counts[0]) + int(counts[1]), int(counts[2]))
