"""What funnelsim is measured against: bare SimPy, a SimPy M/M/c queue, Ciw, and Erlang C.

Each baseline times only its simulation (not building records or summarising them), the
same share of the work that timing ``funnelsim.simulate`` covers.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from dataclasses import dataclass

import ciw
import simpy


@dataclass(frozen=True)
class QueueRun:
    """One M/M/c run: how many customers, how long it took, and their mean wait."""

    customers: int
    seconds: float
    mean_wait: float  # hours, customers arriving after the warm-up

    @property
    def rate(self) -> float:
        return self.customers / self.seconds


def erlang_c_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean wait in an M/M/c queue (Erlang C): the answer every simulator here should approach."""
    a = arrival_rate / service_rate
    tail = a**servers / math.factorial(servers) / (1.0 - a / servers)
    head = sum(a**k / math.factorial(k) for k in range(servers))
    return tail / (head + tail) / (servers * service_rate - arrival_rate)


def bare_loop(processes: int, steps: int) -> tuple[int, float]:
    """Events and seconds of processes that only wait: SimPy's own cost per event, the floor.

    Each process schedules one event to start, one per timeout and one when it ends.
    """

    def sleeper(env: simpy.Environment, delay: float):
        for _ in range(steps):
            yield env.timeout(delay)

    started = time.perf_counter()
    env = simpy.Environment()
    for k in range(processes):
        env.process(sleeper(env, 1.0 + k / processes))  # distinct delays keep the heap mixed
    env.run()
    return processes * (steps + 2), time.perf_counter() - started


def simpy_mmc(customers: int, servers: int, load: float, seed: int, warmup: float) -> QueueRun:
    """The textbook SimPy M/M/c (``simpy.Resource``, one process per customer), in hours."""
    rng, waits = random.Random(seed), []
    arrival_rate, service_rate = load * servers, 1.0

    def customer(env: simpy.Environment, desk: simpy.Resource):
        arrived = env.now
        with desk.request() as request:
            yield request
            if arrived >= warmup:
                waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(service_rate))

    def source(env: simpy.Environment, desk: simpy.Resource):
        for _ in range(customers):
            yield env.timeout(rng.expovariate(arrival_rate))
            env.process(customer(env, desk))

    started = time.perf_counter()
    env = simpy.Environment()
    env.process(source(env, simpy.Resource(env, capacity=servers)))
    env.run()
    return QueueRun(customers, time.perf_counter() - started, statistics.fmean(waits))


def ciw_mmc(customers: int, servers: int, load: float, seed: int, warmup: float) -> QueueRun:
    """The same queue in Ciw, run until ``customers`` have completed service, in hours."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=load * servers)],
        service_distributions=[ciw.dists.Exponential(rate=1)],
        number_of_servers=[servers],
    )
    ciw.seed(seed)
    started = time.perf_counter()
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(customers)
    seconds = time.perf_counter() - started
    waits = [r.waiting_time for r in simulation.get_all_records() if r.arrival_date >= warmup]
    return QueueRun(customers, seconds, statistics.fmean(waits))
