"""Running chunks on a Dask cluster, and which clusters funnelsim will talk to.

A cluster's results come back pickled, and unpickling can run any code: a scheduler address
must name a cluster you trust. So only ``local`` (a LocalCluster started here), ``tcp://`` and
``tls://`` addresses are taken; a ``tls://`` address connects with Dask's own TLS settings
(``distributed.comm.tls.*`` in its configuration, or ``DASK_DISTRIBUTED__COMM__TLS__...``
variables), which authenticate the scheduler and encrypt the traffic.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from funnelsim.errors import UsageError

if TYPE_CHECKING:
    from funnelsim.experiments.execution import Chunk

CONNECT_TIMEOUT = "10s"
"""How long to try to reach a Dask scheduler before giving up with a clear message."""

_ADDRESS = re.compile(r"(tcp|tls)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})")
EXPECTED = "'local', tcp://host:port or tls://host:port of a cluster you trust"
CERTIFICATES = {
    "tls_ca_file": "distributed.comm.tls.ca-file",
    "tls_client_cert": "distributed.comm.tls.client.cert",
}
"""What a client needs to connect over TLS: the authority that signed the scheduler's
certificate, and its own certificate (its key beside it, or appended to the file)."""


class SchedulerError(UsageError):
    """A Dask scheduler that cannot be used: not an address taken, or not reached."""


def check_scheduler(address: str) -> str:
    """``address`` if funnelsim takes it; for ``tls://``, only with certificates configured."""
    match = _ADDRESS.fullmatch(address)
    if address != "local" and (match is None or not 0 < int(match[3]) < 65536):
        raise SchedulerError(f"--scheduler: expected {EXPECTED}, got {address!r}")
    security_for(address)
    return address


def security_for(address: str) -> Any:
    """Dask's ``Security`` from its configuration for a ``tls://`` address, else None."""
    if not address.startswith("tls://"):
        return None
    from distributed.security import Security

    try:
        security = Security(require_encryption=True)
    except ValueError as exc:  # a TLS version the configuration names wrongly
        raise SchedulerError(f"--scheduler {address}: {exc}") from None
    _check_certificates(address, security)
    return security


def _check_certificates(address: str, security: Any) -> None:
    """The settings a TLS client needs are there, and name files that exist."""
    missing = [key for name, key in CERTIFICATES.items() if not getattr(security, name)]
    if missing:
        variables = " and ".join(_variable(key) for key in missing)
        message = f"set {' and '.join(missing)} in Dask's configuration (or {variables})"
        raise SchedulerError(f"--scheduler {address}: no TLS certificates configured; {message}")
    for name, key in CERTIFICATES.items():
        value = getattr(security, name)
        if "\n" not in value and not Path(value).is_file():  # not the PEM text itself
            raise SchedulerError(f"--scheduler {address}: {key}: no file {value}")


def _variable(key: str) -> str:
    """The environment variable Dask reads a configuration key from."""
    return "DASK_" + key.upper().replace(".", "__").replace("-", "_")


@dataclass
class DaskCluster:
    """A Dask distributed client: ``local`` starts a LocalCluster here, else an address.

    ``task`` is what a worker runs for each chunk submitted.
    """

    scheduler: str
    workers: int
    task: Callable[[Chunk], Any]
    window: int = 0
    client: Any = field(init=False)
    cluster: Any = field(init=False, default=None)
    parallel: int = field(init=False, default=1)  # chunks running at once: its cores

    def __post_init__(self) -> None:
        from dask.distributed import Client, LocalCluster

        if self.scheduler == "local":
            self.cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self.client = Client(self.cluster)
        else:
            self.client = _connect(Client, check_scheduler(self.scheduler))
        self.parallel = sum(self.client.nthreads().values()) or self.workers
        self.window = self.window or 2 * self.parallel

    def submit(self, chunk: Chunk) -> Any:
        return self.client.submit(self.task, chunk, pure=False)

    def wait(self, futures: set) -> tuple[set, set]:
        from dask.distributed import wait

        done, pending = wait(list(futures), return_when="FIRST_COMPLETED")
        return set(done), set(pending)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _connect(client: Callable[..., Any], address: str) -> Any:
    """A client of the scheduler at ``address``, with TLS settings for a ``tls://`` one."""
    try:
        return client(address, timeout=CONNECT_TIMEOUT, security=security_for(address))
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(f"cannot reach the Dask scheduler {address}: {exc}") from None
