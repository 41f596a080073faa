"""A ``flywheel`` command's own process freezes its code location and imports Great Expectations
while dbt runs; any other process (a test invoking a command in-process) is left as it is."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

from pipelines import command_process
from pipelines.signals import quality


def _python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip()


def test_a_process_that_is_not_the_commands_own_is_left_as_it_is() -> None:
    frozen = gc.get_freeze_count()
    assert command_process.prepare_for_runs() is False
    command_process.before_exit()
    assert gc.get_freeze_count() == frozen
    assert not quality._import_early.is_set()


def test_the_entry_point_claims_its_process_then_runs_freeze_the_code_location() -> None:
    out = _python("""
        import gc
        from pipelines import cli, command_process
        from pipelines.signals import quality
        cli.app = lambda: print(command_process._own_process)  # the command: what main() left
        cli.main()
        before = gc.get_freeze_count()  # main() froze what its exit would have walked
        assert command_process.prepare_for_runs() is True  # loads the definitions, freezes them
        print(before > 0, gc.get_freeze_count() - before > 100_000, quality._import_early.is_set())
    """)
    assert out.splitlines() == ["True", "True True True"]


def test_the_commands_exit_waits_for_an_import_still_running() -> None:
    out = _python("""
        from pipelines import cli
        from pipelines.signals import quality

        def command():  # a run that ended before its gates: the import thread still runs
            quality.allow_early_great_expectations_import()
            print(quality.start_importing_great_expectations().is_alive())

        cli.app = command
        cli.main()
        print(quality._importer.is_alive())
    """)
    assert out.splitlines() == ["True", "False"]


def test_great_expectations_is_imported_on_a_thread_once_and_only_when_asked() -> None:
    out = _python("""
        import sys
        from pipelines.signals import quality
        print(quality.start_importing_great_expectations(), "great_expectations" in sys.modules)
        quality.allow_early_great_expectations_import()
        thread = quality.start_importing_great_expectations()
        print(thread.name)
        print(quality.start_importing_great_expectations())  # one import, however many dbt steps
        quality.finish_importing_great_expectations(240)  # as the command's exit does
        print(thread.is_alive(), all(name in sys.modules for name in quality.GREAT_EXPECTATIONS_MODULES))
        print(quality.start_importing_great_expectations())
    """)
    assert out.splitlines() == ["None False", "import-great-expectations", "None", "False True", "None"]
