"""funnelsim's benchmark suite: every figure measured in one run, on one machine.

    python benchmarks/run.py                               # print the table
    python benchmarks/run.py --write docs/performance.md   # and update the page (make bench)
    python benchmarks/run.py --quick                       # small sizes, a smoke test

Speeds are the fastest of a few runs with different seeds: other work on the machine can only
slow a run down, so the fastest is the best estimate of what the code itself costs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import baselines
import experiment_cases as ec
import funnel_cases as fc
import study_cases as sc
from tables import (
    SPEED_UP,
    Row,
    Target,
    machine,
    progress,
    render_markdown,
    render_text,
    write_page,
)

SERVERS, LOAD = 10, 0.9  # the SDR desk of scenarios/mmc.yaml: 10 SDRs, 9 MQLs an hour, 1 h each
POLICIES: tuple[tuple[str, str | None], ...] = (
    ("as bundled", None),
    ("aligned", "aligned"),
    ("misaligned", "misaligned"),
)
MAKE_ARGS = ["--write", "docs/performance.md"]
PAIRED_ROUNDS = 2  # the reference and the SimPy M/M/c are timed in pairs, over the seeds twice
GIB = 1024**3
AT_MOST_4 = Target("<=", 4.0, "<= 4")


@dataclass(frozen=True)
class Sizes:
    """How much each benchmark simulates; ``--quick`` shrinks everything but the scenarios."""

    seeds: tuple[int, ...]  # one timed run per seed in every repeated benchmark
    loop_processes: int
    loop_steps: int
    mmc_customers: int  # bare SimPy M/M/c
    mmc_horizon: str  # funnelsim's M/M/c desk; Ciw simulates as many customers
    memory_leads: int
    comparison_reps: int  # the bundled comparison, timed on 1 and on 2 workers
    overhead_reps: int  # replications per policy in each overhead round (two rounds)
    tiny_items: int  # tiny replications for the per-item overhead of Dask and the pool
    sweep_reps: tuple[int, int]  # replications of the two sweeps whose parent memory is compared
    study_slices: tuple[int, int]  # Morris trajectories and Sobol' base samples of the study


FULL = Sizes(
    (1, 2, 3), 100, 10_000, 100_000, "52w", 1_000_000, 40, 10, 300, (1_000, 10_000), (2, 8)
)
QUICK = Sizes((1,), 100, 1_000, 10_000, "6w", 50_000, 4, 2, 40, (100, 400), (2, 2))
WORKERS = 2


def per_second(x: float) -> str:
    return f"{x:,.0f}/s"


def times(x: float) -> str:
    return f"{x:.2f}x"


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def fastest(values: list[float]) -> float:
    """The highest throughput of several runs: interference only ever lowers it."""
    return max(values)


def reference_section(sizes: Sizes) -> tuple[list[Row], dict[str, list[fc.FunnelRun]]]:
    """Leads per second and events per lead of the reference scenario under each policy."""
    progress("reference scenario: warm-up run")
    fc.warm_up()
    rows, runs = [], {}
    for label, policy in POLICIES:
        progress(f"reference scenario, {label}: seeds {sizes.seeds}")
        runs[label] = found = fc.reference_runs(policy, sizes.seeds)
        leads = median([r.leads for r in found])
        per_lead = median([r.events_per_lead for r in found])
        rows += [
            Row(f"Leads/s, {label} ({leads:,.0f} leads)", *_rate(found)),
            Row(f"Events per lead, {label}", per_lead, f"{per_lead:.2f}", AT_MOST_4),
        ]
    return rows, runs


def _rate(runs: list[fc.FunnelRun]) -> tuple[float, str]:
    rate = fastest([r.leads_per_second for r in runs])
    return rate, per_second(rate)


def loop_section(sizes: Sizes, reference: list[fc.FunnelRun]) -> list[Row]:
    """SimPy's own cost per event, and how close the model's event throughput comes to it."""
    progress("bare SimPy loop")
    bare = fastest([_loop_rate(sizes) for _ in sizes.seeds])
    model = fastest([r.events_per_second for r in reference])
    return [
        Row("Bare SimPy loop, events/s", bare, per_second(bare)),
        Row("Model events/s (reference as bundled)", model, per_second(model)),
        Row("Model events/s / bare SimPy events/s", model / bare, times(model / bare)),
    ]


def _loop_rate(sizes: Sizes) -> float:
    events, seconds = baselines.bare_loop(sizes.loop_processes, sizes.loop_steps)
    return events / seconds


def simpy_mmc_section(sizes: Sizes, warmup: float) -> tuple[list[Row], float]:
    """A textbook SimPy M/M/c against the whole funnel: a lead should cost no more than it.

    The two are timed in pairs, the reference run and then the queue with the same seed, over
    the seeds twice: whatever else loads the machine meets both alike. The reference starts
    empty, as it did when this target was set: a steady start adds leads that cost only their
    nurture, which would flatter the cost of a lead.
    """
    progress("bare SimPy M/M/c, in pairs with the reference scenario")
    found, reference = [], []
    for seed in sizes.seeds * PAIRED_ROUNDS:
        reference.append(fc.empty_start_run(seed))
        found.append(baselines.simpy_mmc(sizes.mmc_customers, SERVERS, LOAD, seed, warmup))
    rate, leads = fastest([r.rate for r in found]), _rate(reference)
    ratio = leads[0] / rate
    rows = [
        Row(f"SimPy M/M/c customers/s ({sizes.mmc_customers:,})", rate, per_second(rate)),
        Row("Reference leads/s, empty start, in the same pairs", *leads),
        Row(
            "Reference leads/s / SimPy M/M/c customers/s",
            ratio,
            times(ratio),
            Target(">=", 1.0, ">= 1.0x"),
        ),
    ]
    return rows, statistics.fmean(r.mean_wait for r in found)


def steady_start_section(sizes: Sizes) -> list[Row]:
    """What a stationary window costs: the reference as bundled (a settled start and a 13-week
    warm-up) against the same 104 measured weeks from an empty start after 13 weeks, which
    still fill up. Timed in pairs over the seeds twice, like the M/M/c; the settled runs take
    over a pilot run once before them (untimed there, timed on its own: a sweep pays it once
    per worker, a single run once)."""
    progress("reference scenario: settled start against an empty start, in pairs")
    pilot = min(fc.pilot_seconds() for _ in range(PAIRED_ROUNDS))
    steady, empty = [], []
    for seed in sizes.seeds * PAIRED_ROUNDS:
        steady.append(fc.reference_run(seed))
        empty.append(fc.empty_start_run(seed))
    fast = min(r.seconds for r in steady), min(r.seconds for r in empty)
    ratio, single = fast[0] / fast[1], (fast[0] + pilot) / fast[1]
    work = median([r.events for r in steady]) / median([r.events for r in empty])
    return [
        Row("Seconds per replication, settled start (as bundled)", fast[0], _s(fast[0])),
        Row("Seconds per replication, empty start, 13-week warm-up", fast[1], _s(fast[1])),
        Row("Settled start / empty start", ratio, times(ratio), Target("<=", 1.2, "<= 1.2x")),
        Row(
            "... of which events, settled / empty (a full funnel from week one)", work, times(work)
        ),
        Row("... and seconds per event, settled / empty", ratio / work, times(ratio / work)),
        Row("Seconds of the pilot (once per scenario, policy and process)", pilot, _s(pilot)),
        Row("One run with its own pilot / empty start", single, times(single)),
    ]


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def ciw_section(sizes: Sizes, warmup: float, simpy_wait: float) -> list[Row]:
    """funnelsim's SDR desk reduced to M/M/c against Ciw on the same queue and customers."""
    progress(f"funnelsim SDR desk as M/M/c, horizon {sizes.mmc_horizon}")
    desk, desk_waits = fc.mmc_runs(sizes.mmc_horizon, sizes.seeds)
    customers = desk[0].leads
    progress(f"Ciw M/M/c, {customers:,} customers")
    ciw = [baselines.ciw_mmc(customers, SERVERS, LOAD, seed, warmup) for seed in sizes.seeds]
    desk_rate, ciw_rate = _rate(desk)[0], fastest([r.rate for r in ciw])
    theory = baselines.erlang_c_wait(SERVERS, LOAD * SERVERS, 1.0)

    def wait(label: str, hours: float) -> Row:
        return Row(label, hours, f"{hours:.3f} h ({hours / theory - 1:+.1%})")

    return [
        Row(f"funnelsim M/M/c desk customers/s ({customers:,})", desk_rate, per_second(desk_rate)),
        Row(f"Ciw M/M/c customers/s ({customers:,})", ciw_rate, per_second(ciw_rate)),
        Row(
            "funnelsim / Ciw customers/s",
            desk_rate / ciw_rate,
            times(desk_rate / ciw_rate),
            Target(">=", 1.5, ">= 1.5x"),
        ),
        Row("Mean wait, Erlang C", theory, f"{theory:.3f} h"),
        wait("Mean wait, funnelsim desk (vs Erlang C)", statistics.fmean(desk_waits)),
        wait("Mean wait, Ciw (vs Erlang C)", statistics.fmean(r.mean_wait for r in ciw)),
        wait("Mean wait, SimPy M/M/c (vs Erlang C)", simpy_wait),
    ]


def memory_section(sizes: Sizes, reference: list[fc.FunnelRun]) -> list[Row]:
    """A run far beyond the reference, in its own process, so its peak memory is its own."""
    scale = sizes.memory_leads / median([r.leads for r in reference])
    progress(f"peak memory: reference scaled x{scale:.2f}, in a child process")
    run = fc.peak_memory(scale)
    mib = run.peak_rss_bytes / 1024**2
    return [
        Row(
            f"Leads, scaled x{scale:.2f} ({run.sdr_headcount} SDRs, {run.ae_count} AEs)",
            run.leads,
            f"{run.leads:,}",
        ),
        Row("Runtime", run.seconds, f"{run.seconds:.1f} s"),
        Row("Leads/s", run.leads_per_second, per_second(run.leads_per_second)),
        Row("Events per lead", run.events_per_lead, f"{run.events_per_lead:.2f}"),
        Row(
            "Peak resident memory, no event log",
            run.peak_rss_bytes,
            f"{mib:,.0f} MiB",
            Target("<", GIB, "< 1 GiB"),
        ),
    ]


def experiments_section(sizes: Sizes) -> list[Row]:
    """The machinery around ``simulate``: parallel speed-up, overhead, Dask, parent memory."""
    progress(f"bundled comparison, {sizes.comparison_reps} replications: 1 worker, then 2, twice")
    spec = ec.bundled(sizes.comparison_reps)
    rounds = [(ec.timed_sweep(spec, workers=1), ec.timed_sweep(spec, workers=WORKERS))]
    rounds.append((ec.timed_sweep(spec, workers=1), ec.timed_sweep(spec, workers=WORKERS)))
    one, two = min(r[0] for r in rounds), min(r[1] for r in rounds)
    progress(f"overhead beyond the simulate calls, {sizes.overhead_reps} replications")
    cost = ec.overhead(sizes.overhead_reps, rounds=2)
    progress(f"Dask LocalCluster and process pool, {sizes.tiny_items} tiny replications")
    dask = ec.dask_figures(WORKERS, sizes.tiny_items)
    small, large = sizes.sweep_reps
    progress(f"parent memory: sweeps of {small:,} and {large:,} tiny replications")
    memory = [ec.parent_memory(n, WORKERS) for n in (small, large)]
    growth = memory[1]["peak_rss_bytes"] / memory[0]["peak_rss_bytes"]
    runs = 2 * sizes.comparison_reps

    def mib(report: dict) -> str:
        return f"{report['peak_rss_bytes'] / 1024**2:,.0f} MiB ({report['seconds']:.0f} s)"

    return [
        Row(f"Bundled comparison ({runs} runs), 1 worker", one, f"{one:.1f} s"),
        Row(f"Bundled comparison ({runs} runs), {WORKERS} workers", two, f"{two:.1f} s"),
        Row(
            f"Speed-up, {WORKERS} workers over 1",
            one / two,
            times(one / two),
            SPEED_UP,
        ),
        Row(
            f"Machinery overhead per replication over its `simulate` calls ({cost.items} runs)",
            cost.share,
            f"{cost.share:+.1%} ({(cost.machinery - cost.direct) / cost.items * 1e3:+.0f} ms)",
            Target("<", 0.05, "< 5%"),
        ),
        Row("Dask LocalCluster start-up (2 workers)", dask.startup, f"{dask.startup:.1f} s"),
        Row("Dask per-item overhead, tiny replications", dask.per_item, _ms(dask.per_item)),
        Row(
            "Process pool per-item overhead, tiny replications",
            dask.pool_per_item,
            _ms(dask.pool_per_item),
        ),
        Row(
            f"Parent peak memory, {small:,}-replication sweep",
            memory[0]["peak_rss_bytes"],
            mib(memory[0]),
        ),
        Row(
            f"Parent peak memory, {large:,}-replication sweep",
            memory[1]["peak_rss_bytes"],
            mib(memory[1]),
        ),
        Row(
            f"Parent peak memory, {large:,} over {small:,} replications",
            growth,
            times(growth),
            Target("<=", 1.1, "<= 1.1x (flat)"),
        ),
    ]


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def notes(sizes: Sizes, minutes: float) -> list[str]:
    """How each figure was measured, with this run's sizes."""
    seeds = ", ".join(map(str, sizes.seeds))
    quick = ["Quick sizes: a smoke test, too small for the targets to mean much."]
    return [
        *(quick if sizes == QUICK else []),
        f"The whole suite took {minutes:.1f} minutes.",
        f"Speeds (per second, and the ratios of them) are the fastest of the runs with seeds "
        f"{seeds}, one run per seed timed with `time.perf_counter`, after one untimed warm-up "
        "run of the model; lead counts and events per lead are medians over those runs. The "
        "reference scenario and the SimPy M/M/c are compared in pairs: each seed's reference run "
        f"and then its M/M/c run, over the seeds {PAIRED_ROUNDS} times, the fastest of each.",
        "funnelsim timings cover the whole `funnelsim.simulate(scenario, seed=s)` call, metrics "
        "included; loading the scenario file is not timed. Events are the events the model "
        "scheduled, SimPy's and the SDR desk's own (`events_scheduled` in the run's metrics). "
        "Leads are `leads_simulated`: as bundled, the reference starts steady, so they include "
        "the leads carried in from before the run, which cost only their nurture; the M/M/c "
        "pairs and the empty-start row use the reference from an empty start with a 13-week "
        "warm-up (117 weeks), as it ran before.",
        f"Bare SimPy loop: {sizes.loop_processes} processes that only `yield env.timeout(d)`, "
        f"{sizes.loop_steps:,} times each, with a different constant `d` per process.",
        f"SimPy M/M/c: {SERVERS} servers of a `simpy.Resource`, load {LOAD}, one process per "
        f"customer, exponential times from `random.Random`; {sizes.mmc_customers:,} customers.",
        f"funnelsim M/M/c: the bundled `mmc` scenario with `horizon.length={sizes.mmc_horizon}`; "
        "Ciw 3 is run until as many customers have completed service. Mean waits count customers "
        "arriving after that scenario's warm-up, averaged over the runs.",
        f"Peak memory: the reference scenario with every source's `rate_per_week`, "
        f"`sdr.headcount` and `sales.ae_count` scaled by one factor, aiming at "
        f"{sizes.memory_leads:,} leads, run in a child process that reports its own peak "
        "resident set (`VmHWM` on Linux, which starts afresh at `exec`; `ru_maxrss` would "
        "carry over the parent's size at `fork`).",
        f"Experiments: the bundled `aligned-vs-misaligned` comparison with "
        f"{sizes.comparison_reps} replications, timed whole (`funnelsim.sweep` into a fresh "
        "folder: pool start-up, chunks landed, final files) on 1 worker (in process) and on "
        f"{WORKERS}, in two alternating rounds; the fastest of each is kept. Overhead: an "
        f"in-process sweep of {sizes.overhead_reps} replications per policy, its wall time "
        "against the time spent inside the `simulate` calls it made, both timed in the same "
        "sweep; the better of two rounds. Per-item overheads: "
        f"{sizes.tiny_items} replications of the `mmc` desk over three days, the wall time "
        "beyond the in-process time split over the workers, per replication (Dask after its "
        "start-up). Parent memory: sweeps of those tiny replications in a child process that "
        "reports its own peak resident set the same way (workers are separate processes).",
        f"The bundled study: the first {sizes.study_slices[0]} Morris trajectories of "
        f"`what-drives-alignment` and the first {sizes.study_slices[1]} Saltelli base samples of "
        "`what-drives-alignment-sobol`, each run whole (`funnelsim sensitivity`'s plan, its "
        "analysis and files) on 1 worker in process, its `simulate` calls timed inside it, "
        "then on 2; no pilot kept from before. The whole stage's time is the 2-worker slice's "
        "per point times the stage's points (`docs/analysis.md` gives each stage's own time).",
    ]


def collect(sizes: Sizes) -> dict[str, list[Row]]:
    """Run every benchmark in table order; the long memory run comes last."""
    ref_rows, reference = reference_section(sizes)
    bundled = reference["as bundled"]
    loop_rows = loop_section(sizes, bundled)
    warmup = fc.mmc_scenario(sizes.mmc_horizon).horizon.warmup * fc.HOURS_PER_DAY
    mmc_rows, simpy_wait = simpy_mmc_section(sizes, warmup)
    ciw_rows = ciw_section(sizes, warmup, simpy_wait)
    return {
        "Reference scenario": ref_rows,
        "The cost of a stationary window": steady_start_section(sizes),
        "Against a bare SimPy loop": loop_rows,
        f"Against a SimPy M/M/c queue (c={SERVERS}, load {LOAD})": mmc_rows,
        "The SDR desk as M/M/c, against Ciw": ciw_rows,
        f"A {sizes.memory_leads:,}-lead run": memory_section(sizes, bundled),
        "Experiments": experiments_section(sizes),
        "The bundled sensitivity study (what-drives-alignment)": sc.study_rows(
            sizes.study_slices, WORKERS
        ),
    }


def command_line(argv: list[str]) -> str:
    if argv == MAKE_ARGS:
        return "make bench"
    return " ".join(["python benchmarks/run.py", *argv])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description="funnelsim's benchmark suite.")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--write", type=Path, metavar="PATH", help="update this Markdown page")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    info, started = machine(), time.perf_counter()
    sections = collect(sizes)
    minutes = (time.perf_counter() - started) / 60
    print(render_text(sections))
    if args.write is not None:
        page = render_markdown(sections, info, command_line(argv), notes(sizes, minutes))
        write_page(args.write, page)
        progress(f"wrote {args.write}")


if __name__ == "__main__":
    main()
