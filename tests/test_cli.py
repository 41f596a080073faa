"""The command line: every command documents itself; `run` refuses an empty landing zone clearly; the
demo catches its week up."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import pipelines.runner
import pipelines.summary
from pipelines.cli import DEMO_DAYS_PER_DBT_BUILD, app
from pipelines.runner import RunReport

runner = CliRunner()


def _commands(typer_app, prefix=()):  # walk nested sub-apps
    import typer.main

    group = typer.main.get_command(typer_app)
    stack = [(prefix, group)]
    while stack:
        path, command = stack.pop()
        yield path
        for name, sub in getattr(command, "commands", {}).items():
            stack.append(((*path, name), sub))


@pytest.mark.parametrize("path", sorted(_commands(app)), ids=lambda p: " ".join(p) or "flywheel")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_top_level_lists_the_main_commands() -> None:
    output = runner.invoke(app, ["--help"]).output
    for command in ("generate", "run", "demo"):
        assert command in output


def test_run_on_an_empty_home_says_what_to_do(home) -> None:
    result = runner.invoke(app, ["run", "--home", str(home.home)])
    assert result.exit_code == 2
    assert "flywheel generate" in result.output


def test_an_unusable_home_gives_a_clear_error(tmp_path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the state directory should be")
    result = runner.invoke(app, ["run", "--home", str(blocker)])
    assert result.exit_code == 4
    assert "cannot use" in result.output


@pytest.mark.parametrize(("arguments", "expected"), [((), DEMO_DAYS_PER_DBT_BUILD), (("--days-per-dbt-build", "1"), 1)])
def test_the_demo_catches_its_simulated_week_up_unless_told_otherwise(
    home, monkeypatch: pytest.MonkeyPatch, arguments: tuple[str, ...], expected: int,
) -> None:
    # the days land at once (a backlog): dbt's daily models build a week per run by default
    calls = []

    def run_days(paths, days, on_progress=None, **options):
        calls.append((days, options["days_per_dbt_build"]))
        return RunReport()

    monkeypatch.setattr(pipelines.runner, "run_days", run_days)
    monkeypatch.setattr(pipelines.summary, "print_summary", lambda *args: None)
    result = runner.invoke(app, ["demo", "--home", str(home.home), "--days", "2", "--interactions-per-day", "20",
                                 *arguments])
    assert result.exit_code == 0, result.output
    [(days, days_per_dbt_build)] = calls
    assert len(days) >= 2 and days_per_dbt_build == expected
