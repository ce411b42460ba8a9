"""Experiments: designs and seeds, common random numbers, executors, resume, failures, precision."""

from __future__ import annotations

import json
import math
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

import funnelsim
from funnelsim.experiments import (
    Experiment,
    cluster,
    compare,
    execution,
    parse_experiment,
    sweep,
)
from funnelsim.experiments.design import Item, plan, sweep_points
from funnelsim.results import load_results
from funnelsim.results.stats import differences, interval, replications_needed, summarise
from tests.helpers import SHORT

FILES = ("runs.parquet", "weekly.parquet", "groups.parquet", "summary.csv", "differences.csv")


def small_compare(**options):
    return compare(None, ["misaligned", "aligned"], reps=3, seed=5, overrides=SHORT, **options)


def file_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES}


# -- design ------------------------------------------------------------------------------------
def test_grid_is_the_product_of_lists_and_inclusive_ranges():
    experiment = parse_experiment(
        {
            "factors": {
                "sdr.headcount": {"from": 4, "to": 8, "step": 2},
                "sla.response_time": ["1h", "4h"],
            }
        },
        "x.yaml",
    )
    points = sweep_points(experiment)
    assert points == [
        {"sdr.headcount": h, "sla.response_time": t} for h in (4, 6, 8) for t in ("1h", "4h")
    ]


def test_latin_hypercube_puts_one_point_in_each_stratum_of_every_factor():
    n = 12
    experiment = parse_experiment(
        {
            "design": {"latin_hypercube": {"points": n}},
            "factors": {
                "scoring.mql_threshold": {"min": 20, "max": 80},
                "sla.response_time": {"min": "1h", "max": "13h"},
            },
        },
        "x.yaml",
    )
    points = sweep_points(experiment)
    thresholds = np.array([p["scoring.mql_threshold"] for p in points])
    hours = np.array([float(p["sla.response_time"].removesuffix("h")) for p in points])
    assert sorted(np.floor((thresholds - 20) / 60 * n).astype(int)) == list(range(n))
    assert sorted(np.floor((hours - 1) / 12 * n).astype(int)) == list(range(n))
    assert sweep_points(experiment) == points  # seeded: the same sample every time


def test_item_seeds_follow_the_common_random_number_setting():
    def seeds(crn: str) -> dict[Item, int]:
        experiment = Experiment(
            policies=["misaligned", "aligned"],
            factors={"sdr.headcount": [4, 5]},
            common_random_numbers=crn,
            seed=3,
        )
        p = plan(experiment)
        return {item: p.seed(item) for item in p.items(range(3))}

    shared = seeds("across_policies")
    assert all(shared[Item(i.point, i.replication, 0)] == s for i, s in shared.items())
    assert len(set(shared.values())) == 2 * 3  # points x replications
    everywhere = seeds("across_points")
    assert len(set(everywhere.values())) == 3
    independent = seeds("off")
    assert len(set(independent.values())) == 2 * 3 * 2
    assert all(0 <= s < 2**63 for s in independent.values())


# -- statistics ----------------------------------------------------------------------------------
def test_interval_is_the_student_t_interval():
    values = np.array([3.1, 4.7, 2.2, 5.9, 4.4, 3.8])
    mean, std, low, high = interval(values)
    expected = scipy_stats.t.interval(
        0.95, len(values) - 1, loc=values.mean(), scale=scipy_stats.sem(values)
    )
    assert mean == pytest.approx(values.mean())
    assert std == pytest.approx(values.std(ddof=1))
    assert (low, high) == pytest.approx(expected)


# -- common random numbers -----------------------------------------------------------------------
def test_identical_policies_differ_by_exactly_nothing_under_common_random_numbers(tmp_path):
    for name in ("twin_a", "twin_b"):
        (tmp_path / f"{name}.yaml").write_text("sdr:\n  headcount: 5\n")
    policies = [str(tmp_path / "twin_a.yaml"), str(tmp_path / "twin_b.yaml")]
    results = compare(None, policies, reps=3, seed=1, overrides=SHORT, workers=1)
    diffs = results.differences.set_index("metric")
    unmeasured = diffs["mean"].isna()  # no lead of a 10-week window was seen for a year
    assert list(diffs.index[unmeasured]) == ["leaked_within_365d"]
    assert (diffs.loc[~unmeasured, ["mean", "std"]] == 0).all().all()
    assert list(results.manifest["policies"]) == ["twin_a", "twin_b"]


def test_common_random_numbers_shrink_the_variance_of_paired_differences():
    """One more SDR: under common random numbers the two arms see the same leads and buyers,
    so their difference varies far less than between independent runs. A one-sided F test at
    the 5% level, with fixed seeds, rejects 'no reduction'."""

    def difference_variance(crn: str) -> float:
        results = sweep(
            {
                "policies": ["aligned"],
                "set": {"horizon.length": "20w", "horizon.warmup": "4w"},
                "factors": {"sdr.headcount": [4, 5]},
                "replications": 10,
                "seed": 7,
                "common_random_numbers": crn,
            },
            workers=1,
        )
        wide = results.runs.pivot(index="replication", columns="point", values="bookings")
        return float(np.var(wide[1] - wide[0], ddof=1))

    ratio = difference_variance("across_points") / difference_variance("off")
    assert ratio < scipy_stats.f.ppf(0.05, 9, 9)


# -- executors and results on disk ------------------------------------------------------------
def test_results_are_bit_identical_across_worker_counts_and_executors(tmp_path):
    small_compare(out=tmp_path / "one", workers=1)
    small_compare(out=tmp_path / "two", workers=2)
    small_compare(out=tmp_path / "dask", workers=2, scheduler="local")
    reference = file_bytes(tmp_path / "one")
    assert file_bytes(tmp_path / "two") == reference
    assert file_bytes(tmp_path / "dask") == reference


def test_in_memory_results_equal_the_folder_and_load_results(tmp_path):
    kept = small_compare(workers=1)
    written = small_compare(out=tmp_path / "out", workers=1)
    loaded = load_results(tmp_path / "out")
    for name in ("runs", "weekly", "groups"):
        pd.testing.assert_frame_equal(getattr(kept, name), getattr(loaded, name))
        pd.testing.assert_frame_equal(getattr(written, name), getattr(loaded, name))
    pd.testing.assert_frame_equal(kept.summary, loaded.summary, check_dtype=False)
    runs = loaded.runs
    assert len(runs) == 3 * 2 and (runs["status"] == "ok").all()
    assert list(runs.columns[:4]) == ["point", "replication", "policy", "seed"]
    assert len(loaded.weekly) == 6 * 12  # twelve weeks per run
    assert set(loaded.groups["group"]) == {"source", "segment"}
    manifest = loaded.manifest
    assert manifest["status"] == "complete" and manifest["done"]["replications"] == 3
    resolved = manifest["scenario"]["aligned"]
    assert resolved["hash"].startswith("sha256:") and resolved["resolved"]["policy"] == "aligned"


def test_each_run_matches_simulate_with_its_recorded_seed():
    results = small_compare(workers=1)
    row = results.runs.iloc[3]
    scenario = funnelsim.load_scenario(policy=row["policy"], overrides=SHORT)
    direct = funnelsim.simulate(scenario, seed=int(row["seed"])).summary["metrics"]
    assert row["bookings"] == direct["bookings"] and row["sqls"] == direct["sqls"]


def _command(out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "funnelsim", "compare", "--reps", "10", "--seed", "2",
        "--set", "horizon.length=30w", "--set", "horizon.warmup=4w",
        "--workers", "1", "--quiet", "--out", str(out), *extra,
    ]  # fmt: skip


def _landed(out: Path) -> int:
    """Replications the manifest reports done (it is replaced atomically: always readable)."""
    try:
        return json.loads((out / "manifest.json").read_text())["done"]["replications"]
    except (OSError, KeyError):
        return 0


def _kill_after_first_chunk(command: list[str], out: Path, sig: int) -> subprocess.Popen:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _landed(out) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(sig)
    return process


def test_a_killed_experiment_resumes_to_the_files_of_an_uninterrupted_run(tmp_path):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    subprocess.run(_command(whole), check=True, capture_output=True)
    _kill_after_first_chunk(_command(broken), broken, signal.SIGKILL).wait()
    manifest = json.loads((broken / "manifest.json").read_text())
    assert manifest["status"] == "running" and 0 < manifest["done"]["replications"] < 10
    assert not (broken / "runs.parquet").exists()
    subprocess.run(_command(broken, "--resume"), check=True, capture_output=True)
    assert file_bytes(broken) == file_bytes(whole)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_a_kill_keeps_finished_work_and_says_how_to_resume(tmp_path, sig):
    out = tmp_path / "out"
    process = _kill_after_first_chunk(_command(out), out, sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert b"--resume" in stderr and b"Traceback" not in stderr
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"


def test_a_replication_that_raises_is_recorded_and_the_rest_carry_on(monkeypatch):
    real = execution.simulate
    doomed = small_compare(workers=1).runs.iloc[2]["seed"]  # replication 1 of misaligned

    def flaky(scenario, seed=0, events=False):
        if seed == doomed and scenario.policy == "misaligned":
            raise RuntimeError("disk on fire")
        return real(scenario, seed=seed, events=events)

    monkeypatch.setattr(execution, "simulate", flaky)
    results = small_compare(workers=1)
    failed = results.failed
    assert len(failed) == 1 and failed.iloc[0]["seed"] == doomed
    assert failed.iloc[0]["error"].startswith("RuntimeError: disk on fire")
    assert (results.runs["status"] == "ok").sum() == 5
    assert results.manifest["failed"] == 1
    summary = results.summary.set_index(["policy", "metric"])
    assert summary.loc[("misaligned", "bookings_per_year"), "n"] == 2
    assert summary.loc[("aligned", "bookings_per_year"), "n"] == 3
    assert results.differences.set_index("metric").loc["bookings_per_year", "n"] == 2  # pairs only


def test_precision_stops_at_the_first_replication_count_whose_interval_is_narrow_enough():
    target, metric = 0.25, "sqls"
    # From an empty start, ten weeks show a difference in SQLs wide enough to pin down.
    options = {"overrides": SHORT | {"horizon.start": "empty"}, "workers": 1, "metric": metric}
    adaptive = compare(None, ["misaligned", "aligned"], reps=3, seed=9, precision=target,
                       max_reps=40, **options)  # fmt: skip
    used = adaptive.manifest["replications"]["used"]
    fixed = compare(None, ["misaligned", "aligned"], reps=used, seed=9, **options).runs

    def narrow(n: int) -> bool:  # the rule, computed here from scratch
        first = fixed[fixed["replication"] < n].pivot(
            index="replication", columns="policy", values=metric
        )
        diff = (first["aligned"] - first["misaligned"]).to_numpy()
        half = scipy_stats.t.ppf(0.975, n - 1) * diff.std(ddof=1) / math.sqrt(n)
        return half <= target * abs(diff.mean())

    assert adaptive.manifest["replications"]["precision_reached"]
    assert narrow(used) and not any(narrow(n) for n in range(3, used))
    pd.testing.assert_frame_equal(adaptive.runs, fixed)
    labels = ["misaligned", "aligned"]
    assert replications_needed(fixed, metric, target, labels, start=3, stop=40) == used


# -- bad input -----------------------------------------------------------------------------------
BAD_EXPERIMENTS = [
    ("replications: 3\nfactorz: {}\n", "x.yaml:2: factorz: unknown key; did you mean 'factors'?"),
    (
        "factors:\n  sdr.headcount: [4, -1]\n",
        "x.yaml:2: factors.sdr.headcount: expected greater than or equal to 0, got -1",
    ),
    ("metrics: [bookings, bokings]\n", "x.yaml:1: metrics.1: unknown metric 'bokings'"),
    ("scenario: nowhere\n", "x.yaml:1: scenario: 'nowhere': no such file, nor a bundled scenario"),
    ("policies: [aligned, nosuch]\n", "x.yaml:1: policies.1: unknown policy 'nosuch'"),
    ("policies: [aligned, none.yaml]\n", "x.yaml:1: policies.1: policy file 'none.yaml': cannot"),
    ("policies: [a/p.yaml, b/p.yaml]\n", "x.yaml:1: policies.1: policies 'a/p.yaml' and"),
    (
        "factors:\n  sdr.headcount: {from: 0, to: 1.0e+9, step: 1}\n",
        "x.yaml:2: factors.sdr.headcount: expected at most 100,000 values",
    ),
    (
        "factors:\n  scoring.mql_threshold: {min: 10, max: 90}\n",
        "x.yaml:2: factors.scoring.mql_threshold: an interval needs a sampled design",
    ),
    (
        "factors:\n  sdr.headcount: {from: 9, to: 3, step: 1}\n",
        "x.yaml:2: factors.sdr.headcount: expected 'to' (3) at or above 'from' (9)",
    ),
    ("replications: 0\n", "x.yaml:1: replications: expected greater than or equal to 1"),
    ("design: lhs\n", "x.yaml:1: design: expected 'grid'"),
    ("factors: [1, 2]\n", "x.yaml:1: factors: expected a valid dictionary"),
]


@pytest.mark.parametrize(("text", "message"), BAD_EXPERIMENTS)
def test_bad_experiment_files_name_the_file_line_and_key(tmp_path, text, message, cli):
    (tmp_path / "x.yaml").write_text(text)
    out = tmp_path / "out"
    result = cli("sweep", str(tmp_path / "x.yaml"), "--out", str(out), cwd=tmp_path)
    assert result.exit_code == 2
    assert message in result.stderr.replace(str(tmp_path) + os.sep, "")
    assert "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("extra", [(), ("--reps", "3")])
def test_every_problem_of_an_experiment_file_is_reported_at_once_in_line_order(
    tmp_path, cli, extra
):
    """A problem the file shows alone (an unknown metric) and one only resolving the scenario
    at each point finds (a factor value) are reported together, however the run is asked for."""
    text = "metrics: [bookings, bokings]\nfactors:\n  sdr.headcount: [4, -1]\n"
    (tmp_path / "x.yaml").write_text(text)
    result = cli("sweep", str(tmp_path / "x.yaml"), *extra, cwd=tmp_path)
    assert result.exit_code == 2
    lines = result.stderr.replace(str(tmp_path) + os.sep, "").splitlines()
    assert lines[0] == "error: 2 problems found"
    assert lines[1].strip().startswith("x.yaml:1: metrics.1: unknown metric 'bokings'")
    assert lines[2].strip() == (
        "x.yaml:3: factors.sdr.headcount: expected greater than or equal to 0, got -1"
    )


def test_an_existing_results_folder_is_kept_unless_asked(tmp_path, cli):
    out = tmp_path / "out"
    args = ("compare", "--reps", "2", "--workers", "1", "--quiet", "--out", str(out))
    args += ("--set", "horizon.length=12w", "--set", "horizon.warmup=2w")
    assert cli(*args).exit_code == 0
    again = cli(*args)
    assert again.exit_code == 2 and "already holds results" in again.stderr
    assert cli(*args, "--overwrite").exit_code == 0
    other = cli(*args[:-4], "--set", "horizon.length=13w", "--set", "horizon.warmup=2w",
                "--resume")  # fmt: skip
    assert other.exit_code == 2 and "holds a different experiment" in other.stderr
    more = cli(*args[:2], "3", *args[3:], "--resume")  # one more replication, kept work reused
    assert more.exit_code == 0
    assert load_results(out).manifest["done"]["replications"] == 3


def test_compare_prints_the_table_and_json(tmp_path, cli):
    args = ("compare", "--reps", "2", "--workers", "1", "--set", "horizon.length=12w")
    args += ("--set", "horizon.warmup=2w", "--out", str(tmp_path / "o"))
    shown = cli(*args)
    assert shown.exit_code == 0
    for text in ("misaligned vs aligned", "Revenue", "Speed to", "lead, median", "wins"):
        assert text in shown.stdout
    document = json.loads(cli(*args, "--overwrite", "--json").stdout)
    assert document["replications"]["used"] == 2
    metrics = {row["metric"] for row in document["differences"]}
    assert "bookings_per_year" in metrics and "sla_compliance" in metrics


def test_a_sweep_of_one_policy_has_an_empty_but_readable_differences_table(tmp_path):
    spec = {"set": SHORT, "factors": {"sdr.headcount": [3, 5]}, "replications": 2}
    results = sweep(spec, out=tmp_path / "out", workers=1)
    assert results.differences.empty and "mean" in results.differences.columns
    assert list(results.summary["sdr.headcount"].drop_duplicates()) == [3, 5]
    assert set(results.runs["policy"]) == {"base"}


def test_the_replay_command_of_a_replication_reproduces_it_from_anywhere(cli, tmp_path):
    from funnelsim.views.tables.experiments import replay_command

    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "six.yaml").write_text("sdr:\n  headcount: 6\n")
    (tmp_path / "exp" / "x.yaml").write_text(
        "policies: [aligned, six.yaml]\nset: {horizon.length: 12w, horizon.warmup: 2w}\n"
        "factors:\n  sla.response_time: [1h, 4h]\nreplications: 2\nseed: 4\n"
    )
    results = sweep(tmp_path / "exp" / "x.yaml", workers=1)
    row = results.runs.iloc[7]  # 4h, replication 1, the policy file
    words = shlex.split(replay_command(results, row))
    assert words[:3] == ["funnelsim", "run", "reference"] and "sla.response_time=4h" in words
    assert words[words.index("--policy") + 1] == str(tmp_path / "exp" / "six.yaml")
    (tmp_path / "elsewhere").mkdir()
    replay = cli(*words[1:], "--json", cwd=tmp_path / "elsewhere")
    assert replay.exit_code == 0, replay.stderr
    replayed = json.loads(replay.stdout)["metrics"]
    assert replayed["bookings"] == row["bookings"] and replayed["mqls"] == row["mqls"]


def test_an_unreachable_scheduler_is_a_clear_error_and_writes_nothing(tmp_path, cli, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", "1s")
    out = tmp_path / "out"
    result = cli("compare", "--reps", "1", "--scheduler", "tcp://127.0.0.1:9", "--out", str(out))
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler tcp://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def _pool_workers(pid: int) -> list[int]:
    """The pool's workers below ``pid``, read from /proc: the fork server's children."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    children = {p for p, parent in parents.items() if parent == pid}  # fork server, tracker
    return [p for p, parent in parents.items() if parent in children]


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process tree from /proc")
def test_a_lost_worker_stops_the_run_cleanly_and_resume_finishes_it(tmp_path):
    out = tmp_path / "out"
    command = [*_command(out)]
    command[command.index("--workers") + 1] = "2"
    command[command.index("--reps") + 1] = "30"  # chunks still to run when the first lands
    process = _kill_after_first_chunk(command, out, signal.SIGCONT)  # wait, do not stop
    for pid in _pool_workers(process.pid):
        os.kill(pid, signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("the run finished before a worker could be stopped")
    assert process.returncode == 3, stderr
    assert b"worker process stopped" in stderr and b"--resume" in stderr
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    subprocess.run([*command, "--resume"], check=True, capture_output=True)
    assert load_results(out).manifest["done"]["replications"] == 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--precision", "0.1", "--metric", "bokings"), "--metric: unknown metric 'bokings'"),
        (("--precision", "inf"), "--precision: expected a positive share"),
        (("--reps", "5", "--max-reps", "3", "--precision", "0.1"), "--max-reps: expected at least"),
        (("--policy", "nosuch"), "unknown policy 'nosuch'"),
        (("--set", "sdr.headcount=-2"), "--set sdr.headcount: sdr.headcount: expected greater"),
    ],
)
def test_bad_compare_options_are_one_line_each_and_write_nothing(tmp_path, cli, args, message):
    result = cli("compare", *args, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_statistics_read_rows_not_labels_and_take_an_empty_table():
    """Per-point tables stacked without a fresh index still give each group its own rows."""
    points = [
        pd.DataFrame(
            {
                "point": point,
                "replication": [0, 1, 0, 1],
                "policy": ["A", "A", "B", "B"],
                "status": "ok",
                "bookings": values,
            }
        )
        for point, values in ((0, [1.0, 3.0, 2.0, 6.0]), (1, [10.0, 30.0, 20.0, 4.0]))
    ]
    runs = pd.concat(points)  # row labels 0..3 twice
    summary = summarise(runs, ["bookings"], ["A", "B"], [])
    assert summary["mean"].tolist() == [2.0, 4.0, 20.0, 12.0]
    assert summary["n"].tolist() == [2, 2, 2, 2]
    diff = differences(runs, ["bookings"], ["A", "B"], [])
    assert diff["mean"].tolist() == [2.0, -8.0]  # B minus A, paired by replication
    assert diff["policy_better"].tolist() == [1.0, 0.5]
    empty = runs.iloc[:0]
    assert summarise(empty, ["bookings"], ["A", "B"], []).empty
    assert differences(empty, ["bookings"], ["A", "B"], []).empty


def test_values_equal_up_to_rounding_tie_and_nobody_wins():
    # Two policies' costs differ only by the rounding of sums added in another order; a third
    # metric separates them for real in one replication of two.
    cost = 7_350_000.0
    runs = pd.DataFrame(
        {
            "point": 0,
            "replication": [0, 0, 1, 1],
            "policy": ["misaligned", "aligned"] * 2,
            "status": "ok",
            "gtm_cost_per_year": [cost, cost + 2e-10, cost + 1e-9, cost],
            "bookings_per_year": [4.0e6, 18.0e6, 5.0e6, 5.0e6],
        }
    )
    table = summarise(
        runs, ["gtm_cost_per_year", "bookings_per_year"], ["misaligned", "aligned"], []
    )
    shares = table.set_index(["metric", "policy"])["win_share"]
    assert shares["gtm_cost_per_year"].tolist() == [0.0, 0.0]
    assert shares["bookings_per_year"].tolist() == [0.0, 0.5]  # a tie in replication 1
