"""Files that appear whole or not at all: written beside their final name, then renamed."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def atomic_write(path: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write(tmp_path)`` and move the result into place: all of it or nothing."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: Path, document: dict[str, Any]) -> None:
    """A JSON document, indented for people, written atomically."""
    atomic_write(path, lambda p: p.write_text(json.dumps(document, indent=2, default=str) + "\n"))
