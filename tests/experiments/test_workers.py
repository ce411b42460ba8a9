"""Workers end with the run that started them; SIGTERM stops a run as Ctrl-C does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import typer

from funnelsim.cli.execution import kept_on_stop
from funnelsim.experiments.execution import interrupt_on_terminate, stopping
from funnelsim.experiments.filling import Sizer, chunks
from tests.helpers import SHORT

POOL = textwrap.dedent(
    """
    import time
    from funnelsim.experiments.execution import ProcessPool

    pool = ProcessPool({workers})
    futures = [pool.pool.submit(time.sleep, 120) for _ in range({workers})]
    time.sleep(1.5)  # the workers are up and busy
    print("ready", flush=True)
    time.sleep(120)
    """
)


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid``, from the parent ids in /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("workers", [1, 2])
def test_pool_workers_end_when_the_run_is_killed(workers):
    run = subprocess.Popen(
        [sys.executable, "-c", POOL.format(workers=workers)], stdout=subprocess.PIPE
    )
    try:
        assert run.stdout.readline().strip() == b"ready"
        below = _descendants(run.pid)
        assert len(below) >= workers  # the workers (and the fork server that started them)
    finally:
        run.kill()  # as a kill -9 or an out-of-memory killer would: no clean-up runs
        run.wait()
    deadline = time.monotonic() + 10
    while _alive(below) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(below)


def test_sigterm_raises_keyboard_interrupt_once_installed():
    previous = signal.getsignal(signal.SIGTERM)
    stop = interrupt_on_terminate()
    try:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs at the next bytecode; never reached
        assert stopping()
    finally:
        stop.restore()
    assert signal.getsignal(signal.SIGTERM) is previous and not stopping()


def test_a_replication_that_fails_after_a_stop_is_the_interrupt_not_a_failed_run(monkeypatch):
    # In process, a SIGTERM may reach a replication inside a library that turns the
    # KeyboardInterrupt into an error of its own: once a stop was asked, that error is the
    # interrupt (exit 130, work kept), never a failed replication (exit 1).
    from funnelsim.experiments import execution
    from funnelsim.experiments.orchestrate import comparison

    plan = comparison(None, ["aligned"], 1, 0, overrides=SHORT)
    chunk = next(chunks(plan, {0: [0]}, Sizer(1)))

    def interrupted(scenario, seed=0, events=False):
        raise RuntimeError("a library's error, made of the interrupt")

    monkeypatch.setattr(execution, "simulate", interrupted)
    assert execution.run_chunk(chunk).runs["status"].tolist() == ["failed"]  # no stop: a failure
    stop = interrupt_on_terminate()
    try:
        stop.asked = True
        with pytest.raises(KeyboardInterrupt):
            execution.run_chunk(chunk)
    finally:
        stop.restore()


def test_an_error_a_library_made_of_the_interrupt_still_ends_as_an_interrupt(tmp_path):
    # A SIGTERM reaches the run inside a library that turns KeyboardInterrupt into an error of
    # its own: the run still exits 130 and says how to resume, and SIGTERM's handler is put back.
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(typer.Exit) as ended, kept_on_stop(tmp_path / "out"):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs at the next bytecode; never reached
        except KeyboardInterrupt:
            raise RuntimeError("a library's own error") from None
    assert ended.value.exit_code == 130
    assert signal.getsignal(signal.SIGTERM) == previous


def test_without_a_stop_signal_an_error_stays_what_it_is(tmp_path):
    with pytest.raises(RuntimeError, match="a bug"), kept_on_stop(tmp_path / "out"):
        raise RuntimeError("a bug")


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polling"])
def test_a_process_watching_a_run_ends_when_the_run_ends(pidfd):
    run = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    forget = "" if pidfd else "del os.pidfd_open\n"
    watcher = subprocess.Popen(
        [sys.executable, "-c", f"import os, time\n{forget}"
         "from funnelsim.experiments.execution import end_with\n"
         f"end_with({run.pid})\nprint('watching', flush=True)\ntime.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert watcher.stdout.readline() == "watching\n"  # however long the imports took
    time.sleep(0.5)
    assert watcher.poll() is None  # the run is alive: the watcher waits
    run.kill()
    run.wait()
    assert watcher.wait(timeout=10) == 1
