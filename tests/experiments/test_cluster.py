"""Clusters: which scheduler addresses are taken, TLS from Dask's settings, and every chunk a
worker sends back checked before any of it is kept."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys

import dask
import pandas as pd
import pytest
from distributed.security import Security

from funnelsim.experiments import cluster, execution, prepare
from funnelsim.experiments.cluster import SchedulerError, check_scheduler
from funnelsim.experiments.filling import Sizer, chunks
from funnelsim.experiments.received import MalformedChunk, checked
from tests.helpers import SHORT, SHORT_ARGS

ONE_LINE = re.compile(r"\s+")
CERT_KEYS = ("ca-file", "client.cert", "client.key")


def said(result) -> str:
    """What a command wrote to stderr, as one line."""
    return ONE_LINE.sub(" ", result.stderr)


# -- addresses -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "address", ["local", "tcp://127.0.0.1:8786", "tcp://dask.example.com:1", "tls://[::1]:8786"]
)
def test_local_tcp_and_tls_addresses_are_taken(address, tls_settings):
    with dask.config.set(tls_settings):
        assert check_scheduler(address) == address


@pytest.mark.parametrize(
    "address",
    [
        "ucx://10.0.0.5:8786",
        "ws://10.0.0.5:8786",
        "inproc://10.0.0.5/1",
        "10.0.0.5:8786",
        "tcp://10.0.0.5",
        "tcp://10.0.0.5:0",
        "tcp://10.0.0.5:70000",
        "tcp://10.0.0.5:8786/x",
        "tcp://user@10.0.0.5:8786",
        "",
    ],
)
def test_any_other_address_is_refused(address):
    expected = "'local', tcp://host:port or tls://host:port of a cluster you trust"
    with pytest.raises(SchedulerError) as refused:
        check_scheduler(address)
    assert str(refused.value) == f"--scheduler: expected {expected}, got {address!r}"


def test_a_refused_address_is_one_line_and_writes_nothing(cli, tmp_path):
    out = tmp_path / "out"
    result = cli("compare", "--reps", "1", "--scheduler", "ucx://10.0.0.5:8786", "--out", str(out))
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "--scheduler: expected 'local', tcp://host:port or tls://host:port" in said(result)
    assert "got 'ucx://10.0.0.5:8786'" in said(result)
    assert not out.exists()


# -- TLS -----------------------------------------------------------------------------------------
@pytest.fixture
def tls_settings(tmp_path) -> dict[str, str]:
    """Dask's TLS settings naming a CA, a client certificate and its key (files that exist)."""
    names = {"ca-file": "ca.pem", "client.cert": "client.pem", "client.key": "client.key"}
    for file in names.values():
        (tmp_path / file).write_text("-----BEGIN CERTIFICATE-----\n")
    return {f"distributed.comm.tls.{k}": str(tmp_path / f) for k, f in names.items()}


class FakeClient:
    """Stands for ``dask.distributed.Client``: keeps how it was made, reports three cores."""

    made: dict = {}

    def __init__(self, address, **options):
        FakeClient.made = {"address": address, **options}

    def nthreads(self):
        return {"tls://10.0.0.5:40001": 1, "tls://10.0.0.6:40001": 2}

    def close(self):
        FakeClient.made["closed"] = True


def test_a_tls_address_connects_with_a_security_from_dasks_settings(monkeypatch, tls_settings):
    monkeypatch.setattr("dask.distributed.Client", FakeClient)
    with dask.config.set(tls_settings):
        executor = execution.executor_for(2, "tls://10.0.0.5:8786")
    made = FakeClient.made
    assert made["address"] == "tls://10.0.0.5:8786" and made["timeout"] == cluster.CONNECT_TIMEOUT
    security = made["security"]
    assert isinstance(security, Security) and security.require_encryption
    files = (security.tls_ca_file, security.tls_client_cert, security.tls_client_key)
    assert files == tuple(tls_settings[f"distributed.comm.tls.{k}"] for k in CERT_KEYS)
    assert executor.window == 2 * 3  # two chunks in flight per core of the cluster
    executor.close()
    assert made["closed"]


def test_a_tcp_address_leaves_security_to_dask(monkeypatch):
    monkeypatch.setattr("dask.distributed.Client", FakeClient)
    execution.executor_for(2, "tcp://10.0.0.5:8786")
    assert FakeClient.made["security"] is None and FakeClient.made["address"].startswith("tcp:")


def test_tls_certificates_come_from_dasks_environment_variables(tls_settings):
    prefix = "DASK_DISTRIBUTED__COMM__TLS__"
    env = os.environ | {
        f"{prefix}CA_FILE": tls_settings["distributed.comm.tls.ca-file"],
        f"{prefix}CLIENT__CERT": tls_settings["distributed.comm.tls.client.cert"],
    }
    code = (
        "from funnelsim.experiments.cluster import security_for\n"
        "s = security_for('tls://10.0.0.5:8786')\nprint(s.tls_ca_file, s.tls_client_cert)\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    expected = [tls_settings[f"distributed.comm.tls.{k}"] for k in CERT_KEYS[:2]]
    assert shown.stdout.split() == expected


def test_a_tls_address_without_certificates_is_one_line_and_writes_nothing(cli, tmp_path):
    out = tmp_path / "out"
    unset = {f"distributed.comm.tls.{k}": None for k in CERT_KEYS}
    with dask.config.set(unset):
        result = cli(
            "compare", "--reps", "1", "--scheduler", "tls://10.0.0.5:8786", "--out", str(out)
        )
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert (
        "--scheduler tls://10.0.0.5:8786: no TLS certificates configured; set "
        "distributed.comm.tls.ca-file and distributed.comm.tls.client.cert in Dask's "
        "configuration (or DASK_DISTRIBUTED__COMM__TLS__CA_FILE and "
        "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT)"
    ) in said(result)
    assert not out.exists()


def test_a_certificate_setting_naming_no_file_is_refused(tls_settings, tmp_path):
    missing = str(tmp_path / "gone.pem")
    settings = tls_settings | {"distributed.comm.tls.ca-file": missing}
    with dask.config.set(settings), pytest.raises(SchedulerError) as refused:
        check_scheduler("tls://10.0.0.5:8786")
    expected = f"--scheduler tls://10.0.0.5:8786: distributed.comm.tls.ca-file: no file {missing}"
    assert str(refused.value) == expected


# -- what comes back -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def answered():
    """A chunk of two replications of two policies at a sweep point, and its true answer."""
    spec = {"policies": ["misaligned", "aligned"], "set": SHORT, "replications": 2}
    p = prepare(spec | {"factors": {"sdr.headcount": [4]}})
    sizer = Sizer(len(p.labels))
    sizer.per_item = 1e-6  # as if cheap: both replications in one chunk
    chunk = next(chunks(p, {0: [0, 1]}, sizer))
    return chunk, execution.run_chunk(chunk)


def _runs(change):
    return lambda r: dataclasses.replace(r, runs=change(r.runs.copy()))


def _renumbered(runs: pd.DataFrame) -> pd.DataFrame:
    runs.loc[3, "replication"] = 7
    return runs


def _reseeded(runs: pd.DataFrame) -> pd.DataFrame:
    runs.loc[2, "seed"] += 1
    return runs


def _one_failed(runs: pd.DataFrame) -> pd.DataFrame:
    runs.loc[1, "status"] = "failed"
    return runs


def _weekly(change):
    return lambda r: dataclasses.replace(r, weekly=change(r.weekly))


MALFORMED = {
    "not a result": (lambda r: r.runs, "sent a DataFrame, expected a ChunkResult"),
    "another chunk": (
        lambda r: dataclasses.replace(r, chunk="p000009-r0000000-0000001"),
        "answers chunk 'p000009-r0000000-0000001'",
    ),
    "runs not a frame": (lambda r: dataclasses.replace(r, runs=[]), "runs is a list, expected"),
    "no time": (
        lambda r: dataclasses.replace(r, seconds=float("nan")),
        "its time nan is not a number of seconds",
    ),
    "a run missing": (
        _runs(lambda runs: runs.iloc[:-1]),
        "runs does not hold one row per policy of replications 0 to 1, in order",
    ),
    "a run renumbered": (_runs(_renumbered), "runs does not hold one row per policy of"),
    "a seed changed": (_runs(_reseeded), "runs holds seeds other than the chunk's"),
    "a metric missing": (
        _runs(lambda runs: runs.drop(columns="bookings")),
        "runs lacks the columns ['bookings']",
    ),
    "a column added": (
        _runs(lambda runs: runs.assign(shell="rm -rf ~")),
        "runs has columns it should not: ['shell']",
    ),
    "policies numbered": (
        _runs(lambda runs: runs.assign(policy=runs["policy"].cat.codes)),
        "runs: policy is not a categorical of the policies",
    ),
    "policies reordered": (
        _runs(
            lambda runs: runs.assign(
                policy=runs["policy"].cat.reorder_categories(["aligned", "misaligned"])
            )
        ),
        "runs: the policies are not ['misaligned', 'aligned']",
    ),
    "a metric as text": (
        _runs(lambda runs: runs.assign(bookings=runs["bookings"].astype(str))),
        "runs: bookings holds str, expected numbers",
    ),
    "a factor value changed": (
        _runs(lambda runs: runs.assign(**{"sdr.headcount": 5})),
        "runs: sdr.headcount is not 4 in every row",
    ),
    "an unknown status": (
        _runs(lambda runs: runs.assign(status="maybe")),
        "runs: a status other than 'ok' or 'failed'",
    ),
    "a run's weeks missing": (
        _weekly(lambda w: w[w["replication"] == 0]),
        "weekly lacks the rows of a run that finished",
    ),
    "weeks of a failed run": (_runs(_one_failed), "weekly holds rows of runs that did not finish"),
    "weeks twice": (
        _weekly(lambda w: pd.concat([w, w], ignore_index=True)),
        "weekly does not hold one row per point, replication, policy, week",
    ),
    "a group figure as text": (
        lambda r: dataclasses.replace(r, groups=r.groups.assign(leads="many")),
        "groups: leads holds str, expected numbers, flags or dates",
    ),
    "periods never asked for": (
        lambda r: dataclasses.replace(r, periods=r.weekly),
        "periods holds rows of runs that did not finish",
    ),
}


def test_a_true_answer_is_taken_as_it_is(answered):
    chunk, result = answered
    assert checked(chunk, result) is result
    assert len(result.runs) == 4 and (result.runs["status"] == "ok").all()


@pytest.mark.parametrize(("change", "problem"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_answer_is_refused_naming_its_chunk(answered, change, problem):
    chunk, result = answered
    with pytest.raises(MalformedChunk) as refused:
        checked(chunk, change(result))
    message = str(refused.value)
    assert message.startswith("chunk p000000-r0000000-0000001 from a worker: ")
    assert problem in message and message.endswith("; nothing of it was kept")


def test_a_malformed_chunk_stops_the_run_and_nothing_of_it_is_written(cli, tmp_path, monkeypatch):
    real = execution.run_chunk

    def tampered(chunk):
        result = real(chunk)
        if chunk.replications[0] > 0:  # every chunk after the first
            result.runs = result.runs.drop(columns="bookings")
        return result

    monkeypatch.setattr(execution, "run_chunk", tampered)
    out = tmp_path / "out"
    args = ("compare", "--reps", "3", "--workers", "1", "--quiet", *SHORT_ARGS, "--out", str(out))
    result = cli(*args)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    refused = r"chunk p000000-r0000001-\d{7} from a worker: runs lacks the columns \['bookings'\]"
    assert re.search(refused, said(result))
    assert [p.name for p in (out / "parts").iterdir()] == ["p000000-r0000000-0000000"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["done"]["replications"] == 1
    assert not (out / "runs.parquet").exists()
