"""The consumers' format rules: the OpenAI cookbook checks (each broken case caught), TRL shapes."""

from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.datasets.formats import (
    SCHEMAS,
    check_openai_chat_lines,
    check_openai_dpo_lines,
    check_trl_parquet,
    openai_chat_line,
    openai_dpo_line,
)

pytestmark = pytest.mark.xdist_group("datasets")

GOOD = {"messages": [{"role": "system", "content": "You build apps."},
                     {"role": "user", "content": "make a todo app"},
                     {"role": "assistant", "content": "Done.", "weight": 1}]}


def _lines(example: object, copies: int = 10) -> list[bytes]:
    return [orjson.dumps(example)] * copies


def test_a_good_chat_file_passes() -> None:
    report = check_openai_chat_lines(_lines(GOOD))
    assert report.ok, report.errors
    assert report.examples == 10


@pytest.mark.parametrize(
    ("example", "error"),
    [
        (["not", "a", "dict"], "data_type"),
        ({"prompt": "x"}, "missing_messages_list"),
        ({"messages": []}, "missing_messages_list"),
        ({"messages": "hello"}, "missing_messages_list"),
        ({"messages": [{"role": "user"}, {"role": "assistant", "content": "a"}]}, "message_missing_key"),
        ({"messages": [{"content": "x"}, {"role": "assistant", "content": "a"}]}, "message_missing_key"),
        ({"messages": [{"role": "user", "content": "x", "extra": 1}, {"role": "assistant", "content": "a"}]},
         "message_unrecognized_key"),
        ({"messages": [{"role": "robot", "content": "x"}, {"role": "assistant", "content": "a"}]},
         "unrecognized_role"),
        ({"messages": [{"role": "tool", "content": "x"}, {"role": "assistant", "content": "a"}]},
         "unrecognized_role"),
        ({"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "a"}]}, "missing_content"),
        ({"messages": [{"role": "user", "content": 42}, {"role": "assistant", "content": "a"}]}, "missing_content"),
        ({"messages": [{"role": "user", "content": "only a user"}]}, "example_missing_assistant_message"),
        ({"messages": [{"role": "user", "content": "x", "weight": 1}, {"role": "assistant", "content": "a"}]},
         "invalid_weight"),
        ({"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "a", "weight": 2}]},
         "invalid_weight"),
    ],
)
def test_the_cookbook_check_catches_each_broken_case(example: object, error: str) -> None:
    report = check_openai_chat_lines([*_lines(GOOD, 9), orjson.dumps(example)])
    assert not report.ok
    assert error in report.errors, report.errors
    assert report.first_lines[error] == 10


def test_invalid_json_and_too_few_examples_are_caught() -> None:
    assert "data_type" in check_openai_chat_lines([*_lines(GOOD, 10), b'{"messages": [']).errors
    assert "too_few_examples" in check_openai_chat_lines(_lines(GOOD, 9)).errors
    assert check_openai_chat_lines(_lines(GOOD, 3), min_examples=0).ok


def test_tool_role_is_allowed_when_the_example_declares_tools() -> None:
    example = {"tools": [{"type": "function", "function": {"name": "f"}}],
               "messages": [{"role": "user", "content": "x"}, {"role": "tool", "content": "result"},
                            {"role": "assistant", "content": "a"}]}
    assert check_openai_chat_lines(_lines(example)).ok


GOOD_DPO = {"input": {"messages": [{"role": "user", "content": "make a todo app"}]},
            "preferred_output": [{"role": "assistant", "content": "good"}],
            "non_preferred_output": [{"role": "assistant", "content": "bad"}]}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"input": {"messages": []}}, "missing_messages_list"),
        ({"input": {"messages": [{"role": "user", "content": ""}]}}, "missing_content"),
        ({"input": {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}},
         "input_not_ending_with_user"),
        ({"preferred_output": []}, "invalid_output"),
        ({"non_preferred_output": [{"role": "user", "content": "bad"}]}, "invalid_output"),
        ({"preferred_output": [{"role": "assistant", "content": "a"}, {"role": "assistant", "content": "b"}]},
         "invalid_output"),
        ({"extra": True}, "unrecognized_key"),
    ],
)
def test_the_dpo_check_catches_each_broken_case(change: dict, error: str) -> None:
    assert check_openai_dpo_lines(_lines(GOOD_DPO)).ok
    report = check_openai_dpo_lines([*_lines(GOOD_DPO, 9), orjson.dumps({**GOOD_DPO, **change})])
    assert error in report.errors, report.errors


def test_openai_lines_weight_only_the_final_answer() -> None:
    row = {"prompt": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                      {"role": "user", "content": "c"}],
           "completion": [{"role": "assistant", "content": "d"}],
           "rejected": [{"role": "assistant", "content": "e"}], "chosen": [{"role": "assistant", "content": "d"}]}
    chat = orjson.loads(openai_chat_line(row))
    assert [m.get("weight") for m in chat["messages"]] == [None, 0, None, 1]
    assert check_openai_chat_lines([openai_chat_line(row)] * 10).ok
    dpo = orjson.loads(openai_dpo_line(row))
    assert dpo["input"]["messages"][-1] == {"role": "user", "content": "c"}
    assert dpo["preferred_output"] == [{"role": "assistant", "content": "d"}]
    assert check_openai_dpo_lines([openai_dpo_line(row)] * 10).ok


def _write(path: Path, kind: str, rows: list[dict]) -> Path:
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMAS[kind]), path)
    return path


def _sft_row(**change: object) -> dict:
    row = {"prompt": [{"role": "user", "content": "make a todo app"}],
           "completion": [{"role": "assistant", "content": "Done."}], "example_id": "e1",
           "generation_ref": "g", "conversation_ref": "c", "turn_index": 0, "context_turns": 0,
           "intent": "new_app", "model": "m", "success_score": 0.9, "language": "en", "num_tokens": 20}
    return {**row, **change}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"prompt": []}, "invalid_prompt"),
        ({"prompt": [{"role": "user", "content": ""}]}, "invalid_prompt"),
        ({"prompt": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
         "prompt_not_ending_with_user"),
        ({"completion": [{"role": "user", "content": "x"}]}, "invalid_completion"),
        ({"completion": [{"role": "assistant", "content": "x"}, {"role": "assistant", "content": "y"}]},
         "invalid_completion"),
        ({"example_id": ""}, "missing_example_id"),
    ],
)
def test_the_trl_check_catches_bad_rows(tmp_path: Path, change: dict, error: str) -> None:
    good = _write(tmp_path / "good.parquet", "sft", [_sft_row()])
    assert check_trl_parquet(good, "sft").ok
    bad = _write(tmp_path / "bad.parquet", "sft", [_sft_row(), _sft_row(**change)])
    report = check_trl_parquet(bad, "sft")
    assert error in report.errors and report.first_lines[error] == 2


def test_the_trl_check_rejects_a_wrong_schema_and_a_null_label(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.parquet"
    pq.write_table(pa.table({"messages": [[{"role": "user", "content": "x"}]]}), wrong)
    assert "schema_mismatch" in check_trl_parquet(wrong, "sft").errors
    row = {k: v for k, v in _sft_row().items()} | {"label": None}
    report = check_trl_parquet(_write(tmp_path / "kto.parquet", "unpaired", [row]), "unpaired")
    assert "invalid_label" in report.errors
