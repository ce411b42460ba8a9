"""A process's own peak resident set, for the benchmarks that run in a child process."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

STATUS = Path("/proc/self/status")


def peak_rss_bytes() -> int:
    """This process's peak resident set, in bytes.

    On Linux this is ``VmHWM``, the high-water mark of the process's own memory map, which
    starts afresh at ``exec``. ``ru_maxrss`` would not do for a child process: Linux carries
    it over from the parent's size at ``fork``, so a child started by a large parent would
    report the parent's peak. Elsewhere ``ru_maxrss`` is the best there is (bytes on macOS).
    """
    if STATUS.exists():
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
