"""Named random streams: common random numbers from one seed.

Everything random in a run is drawn from a stream named after what it drives
(``"arrivals/inbound"``, ``"lead/fit"``, ``"sdr/reach"``). Each name gets its own child of the
run's :class:`numpy.random.SeedSequence`, so adding a stream, or a policy consuming a stream
differently, never shifts the numbers any other mechanism sees.

Per-lead draws use :meth:`Streams.lead_uniforms`: a uniform indexed by (stream, lead id,
counter) rather than by position in a sequence. A lead's reachability on its third attempt is
then the same number under every policy, whatever order the SDR desk happens to work leads in.
NumPy's generators are sequential (Philox offers random access only one generator at a time),
so the index is mixed with the SplitMix64 finaliser, vectorised over leads.
"""

from __future__ import annotations

import zlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_COUNTER = np.uint64(0xD1B54A32D192ED03)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijection on uint64 with full avalanche.

    In place (``x`` is overwritten and returned): nurture mixes every lead in nurture twice a
    touch, and fresh arrays for each step cost a fifth of that.
    """
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


_MASK = (1 << 64) - 1


def derived_keys(keys: np.ndarray, salt: np.ndarray) -> np.ndarray:
    """New 64-bit keys from ``keys`` and a ``salt`` each (SplitMix64 of both): a function of
    the pair alone, and distinct for distinct pairs but with odds of about n^2 / 2^64."""
    with np.errstate(over="ignore"):
        x = np.asarray(keys, dtype=np.uint64) * _GOLDEN + np.asarray(salt, dtype=np.uint64)
        return _mix(_mix(x) + _COUNTER)


def _mix_one(x: int) -> int:
    """:func:`_mix` for one Python integer: the same bijection, without NumPy's call cost."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


class Streams:
    """The random streams of one replication, all derived from ``seed``."""

    def __init__(self, seed: int | np.random.SeedSequence = 0):
        self.root = (
            seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        )
        self._keys: dict[str, np.uint64] = {}

    def _child(self, name: str) -> np.random.SeedSequence:
        tag = zlib.crc32(name.encode())
        return np.random.SeedSequence(self.root.entropy, spawn_key=(*self.root.spawn_key, tag))

    def generator(self, name: str) -> np.random.Generator:
        """A fresh generator for stream ``name``: same name, same numbers."""
        return np.random.Generator(np.random.PCG64(self._child(name)))

    def lead_uniforms(
        self, name: str, leads: np.ndarray, counter: int | np.ndarray = 0
    ) -> np.ndarray:
        """Uniforms on (0, 1), one per lead, fixed by (stream, lead id, counter)."""
        return self.uniforms_of_mixed(self.mixed_leads(name, leads), counter)

    def lead_uniforms_of_streams(
        self, leads: np.ndarray, counters: dict[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        """:meth:`lead_uniforms` of several streams for the same leads, in one pass.

        ``counters[name]`` holds a row of counters of stream ``name`` per lead, and each
        stream's uniforms come back in the same shape. A small batch (the spells a nurture
        period hands over) then pays NumPy's cost per call once rather than once per stream.
        """
        widths = [c.shape[1] for c in counters.values()]
        keys = np.repeat(np.array([self._key(name) for name in counters], np.uint64), widths)
        with np.errstate(over="ignore"):
            x = np.asarray(leads, dtype=np.uint64)[:, None] * _GOLDEN + keys  # as mixed_leads
            u = self.uniforms_of_mixed(_mix(x), np.concatenate(list(counters.values()), axis=1))
        out, start = {}, 0
        for name, width in zip(counters, widths, strict=True):
            out[name], start = u[:, start : start + width], start + width
        return out

    def mixed_leads(self, name: str, leads: np.ndarray) -> np.ndarray:
        """The half of :meth:`lead_uniforms`' hash that depends on (stream, lead) alone.

        Nurture draws two numbers per lead at every touch: it mixes its leads once, and each
        touch only adds the counter (:meth:`uniforms_of_mixed`).
        """
        key = self._key(name)
        leads = np.asarray(leads, dtype=np.uint64)
        with np.errstate(over="ignore"):
            x = leads * _GOLDEN  # a fresh array from here on, so the steps work in place
            x += key
            return _mix(x)

    def _key(self, name: str) -> np.uint64:
        """Stream ``name``'s part of the per-lead hash."""
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = self._child(name).generate_state(1, np.uint64)[0]
        return key

    @staticmethod
    def uniforms_of_mixed(mixed: np.ndarray, counter: int | np.ndarray = 0) -> np.ndarray:
        """:meth:`lead_uniforms` from leads already mixed by :meth:`mixed_leads`."""
        counter = np.asarray(counter, dtype=np.uint64)
        with np.errstate(over="ignore"):
            x = mixed + counter * _COUNTER  # not in place: the counter may broadcast
            bits = _mix(_mix(x))
        bits >>= _S11
        u = bits.astype(np.float64)
        u += 0.5
        u *= 2.0**-53
        return u

    def lead_uniforms_of(self, name: str, lead: int, counters: list[int]) -> list[float]:
        """:meth:`lead_uniforms` for one lead and a few counters, in plain Python.

        The same numbers bit for bit; cheaper when one lead needs a handful of them mid-run.
        """
        draws = self.lead_draws(name, lead)
        return [draws[c] for c in counters]

    def lead_draws(self, name: str, lead: int, first: int = 0) -> LeadDraws:
        """One lead's uniforms of stream ``name`` from counter ``first``, each made when read."""
        return LeadDraws(int(self._key(name)), lead, first)


class LeadDraws:
    """``draws[k]`` is :meth:`Streams.lead_uniforms` at counter ``first + k``, bit for bit.

    Computed in plain Python when read, so a mechanism that may stop early (a deal lost at its
    first stage) pays only for the numbers it uses.
    """

    __slots__ = ("_base", "_first")

    def __init__(self, key: int, lead: int, first: int):
        self._base = _mix_one((key + lead * 0x9E3779B97F4A7C15) & _MASK)
        self._first = first

    def __getitem__(self, k: int) -> float:
        x = (self._base + (self._first + k) * 0xD1B54A32D192ED03) & _MASK
        return ((_mix_one(_mix_one(x)) >> 11) + 0.5) * 2.0**-53
