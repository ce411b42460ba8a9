"""The ``funnelsim`` command: parse, call the library, render. It owns no simulation logic."""

from funnelsim.cli.app import app, main

__all__ = ["app", "main"]
