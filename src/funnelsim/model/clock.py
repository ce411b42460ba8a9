"""Time for the fast model: SimPy's environment, counted, and a side clock beside it.

SimPy keeps every pending event in one heap, and every event scheduled or fired pays for the
heap's depth. The SDR desk and the agenda of far-off actions keep their events in heaps of
their own instead, and a :class:`SideClock` has SimPy wake them through one timer for the
earliest. Everything here extends SimPy through its public classes only.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

import simpy
from simpy.events import NORMAL, EventPriority


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it schedules (a run's ``events_scheduled``).

    Every event SimPy queues (timeouts, process starts and resumptions, the end of the run)
    goes through :meth:`schedule`, so counting there counts them all.
    """

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.scheduled = 0

    def schedule(
        self, event: simpy.Event, priority: EventPriority = NORMAL, delay: float = 0
    ) -> None:
        self.scheduled += 1
        super().schedule(event, priority, delay)


def event_time(now: float, when: float) -> float:
    """The time of an event booked at ``now`` for ``when``, to the last bit, as SimPy sets it.

    SimPy adds the delay to its clock, and ``now + (when - now)`` can round one step away from
    ``when``. The side clock's events take their time from here, so they fall where a SimPy
    timeout booked at ``now`` would.
    """
    return now + (when - now) if when > now else now


class Alarm(simpy.Timeout):
    """A timeout due at the time ``at`` that runs ``callback``; its value is ``at``.

    A time a rounding step before SimPy's clock is due now: SimPy's clock never steps back.
    """

    def __init__(self, env: simpy.Environment, at: float, callback: Callable) -> None:
        super().__init__(env, max(at - env.now, 0.0), at)
        self.callbacks.append(callback)


class SideClock:
    """Wakes its owner at the earliest of the owner's own events, with one SimPy timer.

    The owner keeps its events and says when the earliest is due (:meth:`expect`); a timer is
    booked only when that comes before every timer already booked, and ``wake(at)`` runs when
    one fires. The owner handles what is due and expects its next event again.
    """

    def __init__(self, env: simpy.Environment, wake: Callable[[float], None]) -> None:
        self.env, self._wake = env, wake
        self._timers: list[float] = []  # times of the timers booked and not yet fired

    def expect(self, at: float) -> None:
        """Have SimPy wake the owner at ``at``, unless a timer comes no later."""
        timers = self._timers
        if not timers or at < timers[0]:
            heapq.heappush(timers, at)
            Alarm(self.env, at, self._fired)

    def _fired(self, timer: Alarm) -> None:
        heapq.heappop(self._timers)
        self._wake(timer.value)


class Agenda:
    """One-shot actions booked far ahead, run on a side clock.

    Opportunities resolve weeks after they open, so hundreds would sit in SimPy's heap at any
    time; here they wait in a heap of their own. Each timer still costs one SimPy event.
    """

    def __init__(self, env: simpy.Environment) -> None:
        self._actions: list[tuple[float, int, Callable, tuple]] = []
        self._order = itertools.count()  # actions due at the same time run in booking order
        self._clock = SideClock(env, self._run)

    def at(self, now: float, when: float, action: Callable, *args) -> None:
        """Booked at ``now``: run ``action(at, *args)`` at ``when``.

        ``at`` is the time a timeout booked now would fire (:func:`event_time`). Actions take
        their clock from it rather than from SimPy's, which lags behind while the desk, which
        books them, runs ahead on its own clock.
        """
        at = event_time(now, when)
        heapq.heappush(self._actions, (at, next(self._order), action, args))
        self._clock.expect(at)

    def _run(self, now: float) -> None:
        actions = self._actions
        while actions and actions[0][0] <= now:
            at, _, action, args = heapq.heappop(actions)
            action(at, *args)
        if actions:
            self._clock.expect(actions[0][0])
