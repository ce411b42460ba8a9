"""What the commands say when something is wrong: the name meant, the files there are, the
option in the command line's words, and nothing printed or written before the refusal."""

from __future__ import annotations

import json
import random

import pandas as pd
import pytest

import funnelsim
from funnelsim.base.bundled import names
from funnelsim.experiments import execution
from funnelsim.experiments.spec import BUNDLED as EXPERIMENTS
from funnelsim.record.registry import KEY_METRICS
from funnelsim.scenario.loading import BUNDLED as SCENARIOS
from tests.helpers import SHORT_ARGS, problems

POLICIES = tuple(funnelsim.load_scenario().policies)
"""The policies of the bundled reference scenario."""


def typos(word: str, seed: int) -> list[str]:
    """Misspellings of ``word``: capitals, a letter dropped, two letters swapped, one doubled."""
    rng = random.Random(f"{word}-{seed}")
    k = rng.randrange(1, len(word) - 1)
    return [
        word.capitalize(),
        word.upper(),
        word[:k] + word[k + 1 :],
        word[: k - 1] + word[k] + word[k - 1] + word[k + 1 :],
        word[:k] + word[k] + word[k:],
    ]


def only_error(result) -> str:
    """The one line a refused command prints, with no traceback and no progress bar."""
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def problem_lines(result) -> list[str]:
    """The problems a refused command lists below ``error: N problem(s) found``."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    head, *lines = result.output.splitlines()
    assert head.startswith("error: ") and "found" in head
    return [line.strip() for line in lines]


@pytest.mark.parametrize("command", ["run", "compare"])
@pytest.mark.parametrize(("policy", "seed"), [(p, s) for p in POLICIES for s in (1, 2)])
def test_a_misspelt_policy_is_suggested_without_internal_paths(cli, command, policy, seed):
    for typo in typos(policy, seed):
        if typo in POLICIES:
            continue
        extra = ["-p", POLICIES[0]] if command == "compare" else []
        (line,) = problem_lines(cli(command, *extra, "--policy", typo))
        assert str(SCENARIOS) not in line and not line.startswith("/")
        assert line == (
            f"bundled reference.yaml: policies: unknown policy {typo!r}; did you mean "
            f"{policy!r}? expected a policy file or one of the scenario's policies: "
            + ", ".join(POLICIES)
        )


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_missing_policy_file_is_named(cli, tmp_path, command):
    missing = tmp_path / "faster_desk.yaml"
    (line,) = problem_lines(cli(command, "--policy", str(missing)))
    assert line == f"{missing}: <top level>: cannot read file: No such file or directory"


@pytest.mark.parametrize("metric", KEY_METRICS)
def test_a_misspelt_metric_is_suggested(cli, metric):
    typo = metric[:3] + metric[4:]
    line = only_error(cli("compare", "--reps", "2", "--precision", "0.1", "--metric", typo))
    assert line.startswith(f"error: --metric: unknown metric {typo!r}; did you mean {metric!r}? ")
    assert line.endswith("such as " + ", ".join(KEY_METRICS))


def test_the_metric_help_lists_the_metrics_people_ask_for(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")
    (line,) = [line for line in cli("compare", "--help").output.splitlines() if "--metric" in line]
    assert ", ".join(KEY_METRICS) + ", or any other of a run's metrics." in line


@pytest.mark.parametrize(
    ("command", "folder", "kind"),
    [
        (["run"], SCENARIOS, "scenario"),
        (["validate"], SCENARIOS, "scenario"),
        (["sla", "sla-proposal", "--scenario"], SCENARIOS, "scenario"),
        (["sweep"], EXPERIMENTS, "experiment"),
        (["sla"], EXPERIMENTS, "experiment"),
    ],
)
@pytest.mark.parametrize("given", ["nosuch.yaml", "nosuch", "elsewhere/nosuch"])
def test_a_missing_file_lists_the_bundled_ones(cli, tmp_path, command, folder, kind, given):
    (line,) = problem_lines(cli(*command, given, cwd=tmp_path))
    bundled = ", ".join(names(folder))
    assert line == f"{given}: <top level>: no such file, nor a bundled {kind} (bundled: {bundled})"
    assert len(names(folder)) >= 3


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("sdr.headcount=-1", "sdr.headcount"),
        ("sdr.trsut.window=3", "sdr.trsut.window"),
        ("horizon.warmup=200w", "horizon.warmup"),
        ("segments.smb.stages.9.advance=0.5", "segments.smb.stages.9.advance"),
        ("sdr.headcount", ""),
    ],
)
def test_overrides_say_set_on_the_command_line_only(cli, override, key):
    from_python = [str(p) for p in problems(overrides=[override])]
    assert all("--set" not in text for text in from_python), from_python
    assert any(f"override {key}".strip() in text for text in from_python), from_python
    printed = problem_lines(cli("run", "--set", override))
    assert printed == [text.replace("override", "--set") for text in from_python]
    assert any(f"--set {key}".strip() in line for line in printed)


@pytest.mark.parametrize(
    "command",
    [
        ["compare", "--reps", "2", *SHORT_ARGS],
        ["sweep", "aligned-vs-misaligned"],
        ["sla", "sla-proposal", "--reps", "2"],
    ],
)
def test_resume_and_overwrite_together_are_refused_as_a_pair(cli, tmp_path, command):
    out = tmp_path / "out"
    result = cli(*command, "--out", str(out), "--resume", "--overwrite")
    assert result.exit_code == 2
    assert only_error(result) == (
        "error: --resume, --overwrite: expected one of them; --resume finishes the "
        "experiment in --out, --overwrite replaces it"
    )
    assert not out.exists()


def test_a_folder_in_use_is_refused_without_a_progress_bar(cli, tmp_path):
    out = tmp_path / "out"
    args = ["compare", "--reps", "2", "--workers", "1", "--out", str(out), *SHORT_ARGS]
    first = cli(*args)
    assert first.exit_code == 0 and "replications" in first.stderr  # the bar, while running
    again = cli(*args)
    assert again.exit_code == 2
    remedy = "add --resume to finish them or --overwrite"
    assert only_error(again) == f"error: {out}: already holds results; {remedy}"


@pytest.fixture
def nothing_runs(monkeypatch):
    """Every replication raises, as a model error would; each failure is recorded."""

    def broken(scenario, seed=0, events=False):
        raise RuntimeError(f"the model broke on seed {seed}")

    monkeypatch.setattr(execution, "simulate", broken)


@pytest.mark.parametrize("as_json", [False, True])
def test_a_comparison_whose_replications_all_fail_prints_no_table_of_dashes(
    cli, tmp_path, nothing_runs, as_json
):
    """Nothing ran, so there is nothing to tabulate: one line says where the errors are;
    ``--json`` still gives machines the failed replications."""
    out = tmp_path / "out"
    args = ["compare", "--reps", "2", "--workers", "1", "-q", "--out", str(out)]
    args += ["--set", "horizon.length=12w", "--set", "horizon.warmup=2w"]
    result = cli(*args, *(["--json"] if as_json else []))
    assert result.exit_code == 1
    first = pd.read_parquet(out / "runs.parquet")["error"].iloc[0]
    assert result.stderr.splitlines() == [
        "error: all 4 replications failed, so there is nothing to judge or draw; each one's "
        f"error and seed are recorded in {out / 'runs.parquet'} (the first: {first})"
    ]
    if as_json:
        assert len(json.loads(result.stdout)["failed"]) == 4
    else:
        assert result.stdout == ""


def test_a_stress_test_whose_replications_all_fail_says_so_in_one_line(cli, tmp_path, nothing_runs):
    out = tmp_path / "out"
    args = ["sla", "sla-proposal", "--stress", "normal", "--reps", "2", "--workers", "1", "-q"]
    result = cli(*args, "--set", "horizon.length=80w", "--out", str(out))
    assert result.exit_code == 1
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 4 and (runs["status"] == "failed").all()
    first = runs["error"].iloc[0]
    assert first.startswith("RuntimeError: the model broke on seed ")
    assert only_error(result) == (
        "error: all 4 replications failed, so there is nothing to judge or draw; each one's "
        f"error and seed are recorded in {out / 'runs.parquet'} (the first: {first})"
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["failed"] == 4
    experiment = {".lock", "manifest.json", "parts", "summary.csv", "differences.csv"}
    experiment |= {f"{table}.parquet" for table in ("runs", "weekly", "groups", "periods")}
    assert {p.name for p in out.iterdir()} == experiment  # no verdict, nothing half-written
    assert not list((out / "parts").glob(".*"))
    for command in ("plot", "report"):
        again = cli(command, str(out))
        assert again.exit_code == 1 and only_error(again) == only_error(result)
