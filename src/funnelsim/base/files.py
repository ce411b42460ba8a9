"""Files that appear whole or not at all: written beside their final name, then renamed.

A file is written to a hidden temporary in its folder, flushed to the disk, renamed over its
final name, and the folder is flushed too, so a crash or a power cut leaves the old file or
the new one, never a truncated one. The temporary is created with the mode an ordinary file
gets (0666 less the umask). Its name, ``.<name>.<host>-<pid>.<token>.partial``, says which
process wrote it, so a temporary left by a killed run is removed by the next write into the
same folder, and one a live run is still writing is left alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import socket
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from funnelsim.errors import FunnelsimError

SUFFIX = ".partial"
_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]
_TEMPORARY = re.compile(r"^\..+\.(?P<host>[0-9a-f]{6})-(?P<pid>\d+)\.[0-9a-f]+\.partial$")


def temporary_name(name: str) -> str:
    """A hidden name beside ``name`` that says which process is writing it."""
    return f".{name}.{_HOST}-{os.getpid()}.{secrets.token_hex(4)}{SUFFIX}"


def running(pid: int) -> bool:
    """Whether process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def is_stale(name: str) -> bool:
    """Whether ``name`` is a temporary left by a process of this host that has ended."""
    match = _TEMPORARY.match(name)
    if match is None or match["host"] != _HOST:
        return False
    pid = int(match["pid"])
    return pid != os.getpid() and not running(pid)


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporaries killed runs left in ``folder``; return what was removed."""
    removed = []
    for path in folder.glob(f".*{SUFFIX}"):
        if is_stale(path.name) and path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def sync_file(path: Path) -> None:
    """Flush a written file's bytes to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_folder(path: Path) -> None:
    """Flush a folder's entries to the disk, so a rename into it survives a power cut."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot flush a folder; the rename is still atomic
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write(tmp_path)`` and move the result into place: all of it or nothing."""
    folder = path.parent
    remove_stale(folder)
    tmp = folder / temporary_name(path.name)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # the umask applies
    try:
        write(tmp)
        sync_file(tmp)
        os.replace(tmp, path)
        sync_folder(folder)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: Path, document: dict[str, Any]) -> None:
    """A JSON document, indented for people, written atomically."""
    atomic_write(path, lambda p: p.write_text(json.dumps(document, indent=2, default=str) + "\n"))


def read_document(folder: Path, name: str, expected: str) -> dict[str, Any]:
    """The JSON document ``name`` a command wrote into ``folder``; without it, an error saying
    which folder was ``expected``."""
    file = folder / name
    if not file.exists():
        raise FunnelsimError(f"{folder}: no {name}; expected {expected}")
    return json.loads(file.read_text())


def damage(path: Path, size: int | None = None) -> str | None:
    """What is wrong with a table file funnelsim wrote, or None if it reads.

    A file whose size was recorded when it was written must still have that size (a CSV cut
    short between rows would otherwise read as a shorter table); a Parquet file must have its
    footer (a truncated one has none); a CSV file its header.
    """
    if size is not None and (found := path.stat().st_size) != size:
        return f"{found:,} bytes where {size:,} were written"
    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            pq.read_metadata(path)
        elif path.suffix == ".csv":
            with path.open(encoding="utf-8") as handle:
                if not handle.readline().strip():
                    return "empty, not even a header"
    except (OSError, ValueError) as exc:  # ArrowInvalid is a ValueError
        return f"cannot be read ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
    return None


def sizes(folder: Path, names: Iterable[str]) -> dict[str, int]:
    """The size of each of these files that exists, to record beside them when written."""
    return {name: (folder / name).stat().st_size for name in names if (folder / name).is_file()}


def check_intact(
    folder: Path, names: Iterable[str], remedy: str, written: dict[str, int] | None = None
) -> None:
    """Raise one line naming the first damaged file among ``names`` there (absent ones pass).

    ``written``: the sizes recorded when the files were written (:func:`sizes`), if known.
    """
    written = written or {}
    for name in names:
        path = folder / name
        problem = damage(path, written.get(name)) if path.exists() else None
        if problem is not None:
            raise FunnelsimError(f"{path}: damaged, {problem}; {remedy}")
