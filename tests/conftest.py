"""Shared fixtures."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import funnelsim
from funnelsim.cli.app import app
from tests.helpers import small


@pytest.fixture(scope="session")
def reference():
    return funnelsim.load_scenario()


@pytest.fixture(scope="session")
def small_run():
    return funnelsim.simulate(small("aligned"), seed=3, events=True)


@pytest.fixture
def cli(monkeypatch):
    """Invoke the command line in process: ``cli("run", "--seed", "1", cwd=path)``."""
    runner = CliRunner()

    def invoke(*args: str, cwd=None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        return runner.invoke(app, list(args))

    return invoke
