"""The fast model's clock: counted SimPy events, alarms, and the side clock."""

from __future__ import annotations

import simpy

from funnelsim.model.clock import Agenda, Alarm, CountingEnvironment, SideClock, event_time


def test_an_alarm_fires_when_and_in_the_order_a_timeout_would():
    env, fired = simpy.Environment(), []
    env.run(until=0.3)  # a clock that is not zero, so the delays are added to something
    delays = (0.1, 0.7, 0.1, 0.0)
    for k, delay in enumerate(delays):
        timeout = env.timeout(delay)
        timeout.callbacks.append(lambda _, k=k: fired.append(("timeout", k, env.now)))
        Alarm(env, env.now + delay, lambda e, k=k: fired.append(("alarm", k, e.value)))
    env.run()
    assert fired == [
        (kind, k, 0.3 + delay)
        for k, delay in sorted(enumerate(delays), key=lambda kd: kd[1])
        for kind in ("timeout", "alarm")
    ]  # ties go in booking order: an alarm is a timeout


def test_an_alarm_a_rounding_step_in_the_past_fires_now():
    env, fired = simpy.Environment(), []
    env.run(until=1.0)
    Alarm(env, 1.0 - 1e-16 * 2, lambda e: fired.append(env.now))
    env.run()
    assert fired == [1.0]


def test_the_environment_counts_every_event_it_schedules():
    env = CountingEnvironment()

    def waits():
        yield env.timeout(1.0)  # the process's start, then its timeout
        yield env.timeout(2.0)

    env.process(waits())
    env.run()  # start, two timeouts, and the process ending
    assert env.scheduled == 4


def test_a_side_clock_books_a_timer_only_for_an_earlier_time():
    env, woken = CountingEnvironment(), []
    clock = SideClock(env, woken.append)
    for at in (5.0, 3.0, 4.0, 3.0, 1.0):
        clock.expect(at)
    env.run()
    assert woken == [1.0, 3.0, 5.0]  # 4.0 and the second 3.0 found an earlier timer booked
    assert env.scheduled == 3


def test_agenda_actions_run_in_time_then_booking_order_on_one_timer_per_time():
    env, done = CountingEnvironment(), []
    agenda = Agenda(env)
    for name, when in (("b", 2.0), ("a", 1.0), ("c", 2.0)):
        agenda.at(0.0, when, lambda at, name: done.append((at, name)), name)
    env.run()
    assert done == [(1.0, "a"), (2.0, "b"), (2.0, "c")]
    assert env.scheduled == 2


def test_event_time_is_where_a_timeout_booked_now_falls():
    env = simpy.Environment(initial_time=0.1)
    timeout = env.timeout(0.7 - 0.1)
    env.run()
    assert event_time(0.1, 0.7) == env.now == 0.1 + (0.7 - 0.1)
    assert event_time(0.5, 0.2) == 0.5  # never before now
    assert timeout.processed
