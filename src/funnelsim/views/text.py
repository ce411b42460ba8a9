"""Text a person typed (a scenario, policy, source, segment, condition or file name) made safe
for the terminal: shown as written, never read as rich markup, never run as a control code.

A name reaches tables, titles and messages from scenario files, experiment files, proposals
and the command line. An escape sequence in one could clear the screen or restyle the
terminal, and a ``[tag]`` could restyle a table or make rich refuse to print it at all.
"""

from __future__ import annotations

import re

from rich.markup import escape

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
"""What stands in for a character that would act on the terminal instead of showing."""
LOOSE_BRACKET = re.compile(r"(\\+)(?=\[(?![a-z#/@][^[]*?\]))")
"""Backslashes before a ``[`` that opens no tag (rich's tag pattern): rich reads the last of
them as escaping the bracket and drops it."""


def printable(text: object) -> str:
    """``text`` with every character that does not print (control characters, the escape that
    starts a terminal sequence, line breaks, invisible format marks) shown as U+FFFD."""
    return "".join(ch if ch.isprintable() else REPLACEMENT for ch in str(text))


def literal(text: object) -> str:
    """``text`` as rich markup that prints it as written wherever it stands: :func:`printable`,
    with every ``[`` that could open a markup tag escaped.

    Backslashes before a tag escape it, so a name ending in backslashes would lose half of
    them to the tag that follows it (``[/bold]``), or keep an extra one where none follows.
    Those are written doubled and closed by an empty style span, which prints nothing and
    stands between them and whatever comes next. Backslashes before a ``[`` that opens no tag
    lose one to it: they are written with one more.
    """
    safe = printable(text)
    body = safe.rstrip("\\")
    marked = LOOSE_BRACKET.sub(r"\1\\", escape(body))  # one more for the one rich drops
    if body == safe:
        return marked
    return marked + "\\" * (2 * (len(safe) - len(body))) + "[dim][/dim]"
