"""The one way every message suggests a name for a misspelt one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: object, choices: Iterable[object], cutoff: float = 0.6) -> str:
    """``"did you mean 'aligned'? "`` for the choice closest to ``name``, or ``""``.

    Case is ignored in the comparison, so ``Aligned`` finds ``aligned``; ``cutoff`` is how
    alike the two must be (difflib's ratio), raised where names share long prefixes.
    """
    by_folded = {str(c).casefold(): str(c) for c in choices}
    close = difflib.get_close_matches(str(name).casefold(), by_folded, n=1, cutoff=cutoff)
    return f"did you mean {by_folded[close[0]]!r}? " if close else ""
