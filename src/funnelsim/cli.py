"""The ``funnelsim`` command (placeholder until the CLI lands)."""


def main() -> None:
    raise SystemExit("funnelsim: command line not built yet")
