"""The README's worked example runs, and prints exactly what the README shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"


def example(after: str) -> tuple[str, str | None]:
    """The first Python block after a heading, and the output block that follows it."""
    text = README.read_text()
    text = text[text.index(after) :]
    match = re.search(r"```python\n(.*?)```(?:\n\n```\n(.*?)```)?", text, re.S)
    return match.group(1), match.group(2)


def run(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {})
    return out.getvalue()


def test_worked_comparison_prints_what_the_readme_shows():
    code, shown = example("### A worked comparison")
    assert run(code) == shown


def test_experiment_example_prints_what_the_readme_shows():
    code, shown = example("From Python, the same tables without any files")
    assert run(code) == shown


def test_python_api_example_runs():
    code, _ = example("## From Python")
    run(code)
