"""``python -m funnelsim``: the same as the ``funnelsim`` command."""

from funnelsim.cli import main

main()
