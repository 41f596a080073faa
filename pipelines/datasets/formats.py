"""The files a version holds, their exact shapes, and the checks their consumers apply.

Three Hugging Face configs (Parquet), each in a TRL dataset type, conversational format:

- ``sft``: prompt-completion (``prompt``: the messages up to the user's turn, with earlier turns
  as context; ``completion``: the one assistant answer). TRL's SFTTrainer then computes the loss on
  the completion only, so earlier answers in the context (which may have failed) are never trained
  on.
- ``preference``: ``prompt``, ``chosen``, ``rejected`` (explicit prompt), for DPO.
- ``unpaired``: ``prompt``, ``completion``, ``label`` (bool), for KTO.

and two OpenAI files per split: chat SFT JSONL (``{"messages": [...]}``, the context's assistant
messages with ``weight: 0``, the answer with ``weight: 1``) and DPO JSONL. Every row also carries
pseudonymous ids and a few descriptive columns after the TRL ones.

``check_openai_chat_lines`` is the OpenAI cookbook's format check ("Data preparation and analysis
for chat model fine-tuning"), as a function; ``check_openai_dpo_lines`` applies the same rules to
the DPO shape; ``check_trl_parquet`` checks a Parquet file's schema and rows against its TRL type.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.datasets.config import KINDS, SPLITS

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
MESSAGES = pa.list_(MESSAGE)

SCHEMAS: dict[str, pa.Schema] = {
    "sft": pa.schema(
        [
            ("prompt", MESSAGES),
            ("completion", MESSAGES),
            ("example_id", pa.string()),
            ("generation_ref", pa.string()),
            ("conversation_ref", pa.string()),
            ("turn_index", pa.int32()),
            ("context_turns", pa.int32()),
            ("intent", pa.string()),
            ("model", pa.string()),
            ("success_score", pa.float64()),
            ("language", pa.string()),
            ("num_tokens", pa.int64()),
        ]
    ),
    "preference": pa.schema(
        [
            ("prompt", MESSAGES),
            ("chosen", MESSAGES),
            ("rejected", MESSAGES),
            ("example_id", pa.string()),
            ("chosen_generation_ref", pa.string()),
            ("rejected_generation_ref", pa.string()),
            ("conversation_ref", pa.string()),
            ("turn_index", pa.int32()),
            ("context_turns", pa.int32()),
            ("intent", pa.string()),
            ("chosen_model", pa.string()),
            ("rejected_model", pa.string()),
            ("chosen_score", pa.float64()),
            ("rejected_score", pa.float64()),
            ("rejected_because", pa.string()),
            ("language", pa.string()),
            ("num_tokens", pa.int64()),
        ]
    ),
    "unpaired": pa.schema(
        [
            ("prompt", MESSAGES),
            ("completion", MESSAGES),
            ("label", pa.bool_()),
            ("example_id", pa.string()),
            ("generation_ref", pa.string()),
            ("conversation_ref", pa.string()),
            ("turn_index", pa.int32()),
            ("context_turns", pa.int32()),
            ("intent", pa.string()),
            ("model", pa.string()),
            ("success_score", pa.float64()),
            ("language", pa.string()),
            ("num_tokens", pa.int64()),
        ]
    ),
}
# The columns each TRL dataset type needs; the rest describe the example.
TRL_COLUMNS = {
    "sft": ("prompt", "completion"),
    "preference": ("prompt", "chosen", "rejected"),
    "unpaired": ("prompt", "completion", "label"),
}
# Which OpenAI file each kind becomes (the KTO set has no OpenAI equivalent).
OPENAI_FORMAT = {"sft": "chat", "preference": "dpo"}

LINEAGE_SCHEMA = pa.schema(
    [("kind", pa.string()), ("example_id", pa.string()), ("split", pa.string()), ("reason", pa.string())]
)


def parquet_path(kind: str, split: str) -> str:
    return f"data/{kind}/{split}.parquet"


def openai_path(kind: str, split: str) -> str:
    return f"openai/{OPENAI_FORMAT[kind]}/{split}.jsonl"


LINEAGE_PATH = "lineage/excluded.parquet"


def data_files() -> list[str]:
    """Every content file of a version, in a fixed order (the content digest's order)."""
    files = [parquet_path(k, s) for k in KINDS for s in SPLITS]
    files += [openai_path(k, s) for k in OPENAI_FORMAT for s in SPLITS]
    return [*files, LINEAGE_PATH]


# --- OpenAI lines -----------------------------------------------------------------------------


def _plain(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"role": m["role"], "content": m["content"]} for m in messages]


def openai_chat_line(row: dict[str, Any]) -> bytes:
    """One SFT row as an OpenAI chat fine-tuning line.

    The context's assistant messages get ``weight: 0`` so that, like TRL with the prompt-completion
    form, OpenAI trains only on the final answer.
    """
    messages: list[dict[str, Any]] = []
    for m in row["prompt"]:
        message: dict[str, Any] = {"role": m["role"], "content": m["content"]}
        if m["role"] == "assistant":
            message["weight"] = 0
        messages.append(message)
    messages += [{"role": m["role"], "content": m["content"], "weight": 1} for m in row["completion"]]
    return orjson.dumps({"messages": messages}) + b"\n"


def openai_dpo_line(row: dict[str, Any]) -> bytes:
    """One preference row as an OpenAI DPO fine-tuning line."""
    return orjson.dumps(
        {
            "input": {"messages": _plain(row["prompt"])},
            "preferred_output": _plain(row["chosen"]),
            "non_preferred_output": _plain(row["rejected"]),
        }
    ) + b"\n"


OPENAI_LINE = {"sft": openai_chat_line, "preference": openai_dpo_line}


# --- the cookbook's checks ----------------------------------------------------------------------

COOKBOOK_SOURCE = (
    "OpenAI cookbook, 'Data preparation and analysis for chat model fine-tuning' "
    "(format error checks), as summarised in /work/shared/FORMATS.md section 3"
)
MESSAGE_KEYS = frozenset({"role", "content", "name", "function_call", "weight"})
ROLES = frozenset({"system", "user", "assistant", "function"})
MIN_OPENAI_EXAMPLES = 10
# The cookbook warns (does not reject) above this many tokens: the example would be truncated.
OPENAI_TOKEN_LIMIT = 16385


@dataclass
class FormatReport:
    """Format errors by kind, counted over a file, as the cookbook reports them."""

    examples: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    # First line numbers (1-based) of each error kind, to find them again.
    first_lines: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, kind: str, line: int) -> None:
        self.errors[kind] += 1
        self.first_lines.setdefault(kind, line)

    def to_json(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "errors": dict(sorted(self.errors.items())),
            "warnings": dict(sorted(self.warnings.items())),
            "first_lines": dict(sorted(self.first_lines.items())),
        }


def _message_errors(message: Any, allowed_roles: frozenset[str]) -> list[str]:
    if not isinstance(message, dict):
        return ["message_not_a_dict"]
    errors = []
    if "role" not in message or "content" not in message:
        errors.append("message_missing_key")
    if any(k not in MESSAGE_KEYS for k in message):
        errors.append("message_unrecognized_key")
    if message.get("role") not in allowed_roles:
        errors.append("unrecognized_role")
    content, function_call = message.get("content"), message.get("function_call")
    if (not content and not function_call) or not isinstance(content, str):
        errors.append("missing_content")
    if "weight" in message and (message.get("role") != "assistant" or message["weight"] not in (0, 1)):
        errors.append("invalid_weight")
    return errors


def _parse(line: bytes | str) -> tuple[Any, bool]:
    try:
        return orjson.loads(line), True
    except orjson.JSONDecodeError:
        return None, False


def check_openai_chat_lines(lines: Iterable[bytes | str], *, min_examples: int = MIN_OPENAI_EXAMPLES) -> FormatReport:
    """The cookbook's format checks over a chat fine-tuning file's lines.

    Each line a JSON object (``data_type``); ``messages`` present and a non-empty list
    (``missing_messages_list``); each message with ``role`` and ``content``
    (``message_missing_key``) and no other keys than role, content, name, function_call, weight
    (``message_unrecognized_key``); role one of system, user, assistant, function, or tool when the
    example declares ``tools`` (``unrecognized_role``); content a non-empty string
    (``missing_content``); at least one assistant message (``example_missing_assistant_message``);
    at least ``min_examples`` examples (``too_few_examples``). Beyond the cookbook: ``weight``
    only on assistant messages and 0 or 1 (``invalid_weight``), as OpenAI's API requires.
    """
    report = FormatReport()
    for number, line in enumerate(lines, start=1):
        report.examples += 1
        example, parsed = _parse(line)
        if not parsed or not isinstance(example, dict):
            report.add("data_type", number)
            continue
        messages = example.get("messages")
        if not messages or not isinstance(messages, list):
            report.add("missing_messages_list", number)
            continue
        roles = ROLES | {"tool"} if example.get("tools") else ROLES
        for message in messages:
            for error in _message_errors(message, roles):
                report.add(error, number)
        if not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages):
            report.add("example_missing_assistant_message", number)
        _count_long(report, messages)
    if report.examples < min_examples:
        report.add("too_few_examples", 0)
    return report


def check_openai_dpo_lines(lines: Iterable[bytes | str], *, min_examples: int = MIN_OPENAI_EXAMPLES) -> FormatReport:
    """The cookbook's message rules applied to OpenAI's DPO shape.

    ``input.messages`` a non-empty list of valid messages ending with a user message
    (``input_not_ending_with_user``); ``preferred_output`` and ``non_preferred_output`` each exactly
    one assistant message with non-empty string content (``invalid_output``); no other top-level
    keys than input, preferred_output, non_preferred_output, tools (``unrecognized_key``).
    """
    report = FormatReport()
    allowed = {"input", "preferred_output", "non_preferred_output", "tools"}
    for number, line in enumerate(lines, start=1):
        report.examples += 1
        example, parsed = _parse(line)
        if not parsed or not isinstance(example, dict):
            report.add("data_type", number)
            continue
        if any(k not in allowed for k in example):
            report.add("unrecognized_key", number)
        model_input = example.get("input")
        messages = model_input.get("messages") if isinstance(model_input, dict) else None
        if not messages or not isinstance(messages, list):
            report.add("missing_messages_list", number)
        else:
            for message in messages:
                for error in _message_errors(message, ROLES):
                    report.add(error, number)
            last = messages[-1]
            if not isinstance(last, dict) or last.get("role") != "user":
                report.add("input_not_ending_with_user", number)
        for key in ("preferred_output", "non_preferred_output"):
            output = example.get(key)
            if (
                not isinstance(output, list)
                or len(output) != 1
                or _message_errors(output[0], frozenset({"assistant"}))
            ):
                report.add("invalid_output", number)
    if report.examples < min_examples:
        report.add("too_few_examples", 0)
    return report


def _count_long(report: FormatReport, messages: list[Any]) -> None:
    from pipelines.datasets.text import estimate_conversation_tokens

    contents = [m["content"] for m in messages if isinstance(m, dict) and isinstance(m.get("content"), str)]
    if estimate_conversation_tokens(contents) > OPENAI_TOKEN_LIMIT:
        report.warnings["over_token_limit"] += 1


def read_lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        for line in handle:
            yield line.rstrip(b"\n")


CHECKS = {"chat": check_openai_chat_lines, "dpo": check_openai_dpo_lines}


# --- TRL shapes (Parquet) ----------------------------------------------------------------------


def check_trl_parquet(path: Path, kind: str, con: duckdb.DuckDBPyConnection | None = None) -> FormatReport:
    """A Parquet file against its TRL dataset type: exact schema, then every row's shape.

    Rows: ``prompt`` a non-empty list of messages (roles system, user, assistant; non-empty string
    contents) ending with a user message; each of ``completion`` / ``chosen`` / ``rejected`` exactly
    one assistant message with non-empty content; ``label`` a non-null boolean; an ``example_id``.
    The row checks run in DuckDB over the file (vectorised, streaming), not row by row in Python;
    pass ``con`` to run them within a build's memory limit.
    """
    report = FormatReport()
    if not pq.ParquetFile(path).schema_arrow.equals(SCHEMAS[kind], check_metadata=False):
        report.add("schema_mismatch", 0)
        return report
    rules = {
        "invalid_prompt": "prompt IS NULL OR len(prompt) = 0 OR len(list_filter(prompt, lambda m: "
        "m.role NOT IN ('system', 'user', 'assistant') OR coalesce(m.content, '') = '')) > 0",
        "prompt_not_ending_with_user": "coalesce(prompt[-1].role, '') <> 'user'",
        "missing_example_id": "coalesce(example_id, '') = ''",
    }
    for column in TRL_COLUMNS[kind]:
        if column not in ("prompt", "label"):
            rules[f"invalid_{column}"] = (
                f"{column} IS NULL OR len({column}) <> 1 OR {column}[1].role IS DISTINCT FROM 'assistant' "
                f"OR coalesce({column}[1].content, '') = ''"
            )
    if kind == "unpaired":
        rules["invalid_label"] = "label IS NULL"
    selects = ", ".join(
        f"count(*) FILTER (WHERE {rule}), min(file_row_number) FILTER (WHERE {rule})" for rule in rules.values()
    )
    query = f"SELECT count(*), {selects} FROM read_parquet(?, file_row_number = true)"
    # fetchall: a fetchone leaves the result unfinished on the caller's connection, and DuckDB
    # then refuses the next relation made on it
    if con is None:
        with duckdb.connect() as own:
            (row,) = own.execute(query, [str(path)]).fetchall()
    else:
        (row,) = con.execute(query, [str(path)]).fetchall()
    report.examples = int(row[0])
    for i, name in enumerate(rules):
        count, first = row[1 + 2 * i], row[2 + 2 * i]
        if count:
            report.errors[name] = int(count)
            report.first_lines[name] = int(first) + 1
    return report
