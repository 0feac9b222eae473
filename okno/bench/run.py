"""The whole benchmark: each measurement in turn, on SQLite and (when it answers) on
PostgreSQL, repeated and reported as medians beside their ceilings."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from engine.application import scan_cases
from okno.bench import append, latency, memory, rebuild, replay, throughput
from okno.bench.http_load import measure as measure_load
from okno.bench.http_load import serving
from okno.bench.report import Report, Target
from okno.bench.stores import Target as StoreTarget
from okno.bench.stores import postgres_reachable
from okno.bench.workload import bench_engine, seed_region
from okno.bootstrap import new_projector, new_reader

Echo = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    quick: bool
    workdir: Path
    postgres: str | None  # URL, or None to skip PostgreSQL
    cases: int  # cases per throughput run
    repeats: int
    latency_cases: int
    latency_window: int
    append_events: int
    load_seconds: float
    load_most: int
    store_cases: int  # item 7's store

    @classmethod
    def of(cls, quick: bool, workdir: Path, postgres: str | None, store_cases: int | None) -> Options:
        if quick:
            return cls(
                True,
                workdir,
                postgres,
                cases=40,
                repeats=1,
                latency_cases=1,
                latency_window=8,
                append_events=300,
                load_seconds=0.4,
                load_most=400,
                store_cases=store_cases or 2000,
            )
        return cls(
            False,
            workdir,
            postgres,
            cases=300,
            repeats=3,
            latency_cases=6,
            latency_window=20,
            append_events=3000,
            load_seconds=5.0,
            load_most=50_000,
            store_cases=store_cases or 1_000_000,
        )


def machine() -> dict[str, object]:
    memory_kib = 0
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            memory_kib = int(info.readline().split()[1])
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor(),
    }


def run(options: Options, echo: Echo) -> Report:
    report = Report(machine(), {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()})
    stores = [StoreTarget("sqlite", str(options.workdir))]
    if options.postgres:
        problem = postgres_reachable(options.postgres)
        if problem:
            report.skipped.append(f"PostgreSQL figures: {problem}")
            echo(f"skipping PostgreSQL: {problem}")
        else:
            stores.append(StoreTarget("postgres", options.postgres))
    else:
        report.skipped.append("PostgreSQL figures: not asked for (--postgres URL)")
    bare_steps: list[float] = []
    for store in stores:
        _store_sections(store, options, report, echo, bare_steps)
    _server_sections(stores[0], options, report, echo)
    _targets(report)
    return report


def _run_label(processes: int, grouped: bool) -> str:
    """'1 process', '2 processes', '1 process, group commit', …"""
    return f"{processes} process{'es' if processes > 1 else ''}" + (", group commit" if grouped else "")


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _store_sections(store: StoreTarget, options: Options, report: Report, echo: Echo, bare_steps: list[float]) -> None:
    name = store.kind
    config = store.fresh("throughput")
    engine = bench_engine(config, f"bench:{name}")
    try:
        seed_region(engine)
        echo(
            f"[{name}] 1. throughput: {options.cases} cases × {options.repeats} runs, 1 and 2 processes, "
            "per command and with group commit"
        )
        runs: dict[tuple[int, bool], list[throughput.Run]] = {
            (1, False): [],
            (2, False): [],
            (1, True): [],
            (2, True): [],
        }
        for repeat in range(options.repeats):
            for processes, grouped in runs:
                seed = 1000 * processes + 500 * grouped + repeat  # fresh case numbers for every run
                runs[(processes, grouped)].append(
                    throughput.drive_processes(config, options.cases, seed, processes, grouped)
                )
        numbers = sorted(s.number for s in scan_cases(engine).values() if s.status == "completed")
        recorded = throughput.recorded_inputs(engine, numbers[: options.cases * 2])
        bare = [throughput.bare_spiff(engine.steps.library, recorded) for _ in range(options.repeats)]
        bare_cases = _median([b.cases_per_second for b in bare])
        bare_step_rate = _median([b.steps_per_second for b in bare])
        bare_steps.append(bare_step_rate)
        report.details.setdefault("throughput", {})[name] = {
            _run_label(p, g): [asdict(r) for r in rs] for (p, g), rs in runs.items()
        } | {"bare": [asdict(b) for b in bare]}
        for (processes, grouped), done in runs.items():
            label = _run_label(processes, grouped)
            report.add(
                "throughput",
                name,
                f"case steps/s, {label}",
                _median([r.steps_per_second for r in done]),
                "steps/s",
                bare_step_rate,
                "bare SpiffWorkflow steps/s (1 core)",
            )
            report.add(
                "throughput",
                name,
                f"complete cases/s, {label}",
                _median([r.cases_per_second for r in done]),
                "cases/s",
                bare_cases,
                "bare SpiffWorkflow cases/s (1 core)",
            )
        steps_per_case = sum(r.steps for r in runs[(1, False)]) / max(1, sum(r.completed for r in runs[(1, False)]))
        report.details["throughput"][name]["steps_per_case"] = steps_per_case

        echo(f"[{name}] 5. replay: {len(numbers)} cases")
        replays = [replay.measure(engine, numbers) for _ in range(options.repeats)]
        report.add(
            "replay",
            name,
            "cases verified/s",
            _median([r.cases_per_second for r in replays]),
            "cases/s",
            bare_cases,
            "bare SpiffWorkflow cases/s",
        )
        report.details.setdefault("replay", {})[name] = [asdict(r) for r in replays]

        echo(f"[{name}] 4. projection rebuild")
        rebuilds = [rebuild.measure(engine) for _ in range(options.repeats)]
        raw = _median([r.raw_select for r in rebuilds])
        report.add(
            "rebuild",
            name,
            f"all read models in one pass, events/s ({rebuilds[0].events:,} events)",
            _median([r.all_models for r in rebuilds]),
            "events/s",
            raw,
            "raw SELECT events/s",
        )
        for model in rebuilds[0].models:
            report.add(
                "rebuild",
                name,
                f"read model {model} alone, events/s",
                _median([r.models[model] for r in rebuilds]),
                "events/s",
                raw,
                "raw SELECT events/s",
            )
        report.add(
            "rebuild",
            name,
            "decode only, events/s",
            _median([r.decode for r in rebuilds]),
            "events/s",
            raw,
            "raw SELECT events/s",
        )
        report.details.setdefault("rebuild", {})[name] = [asdict(r) for r in rebuilds]

        echo(f"[{name}] 2. event append: {options.append_events} stored events")
        events = append.stored_events(engine, options.append_events)
        appends = [append.measure(events, lambda n: store.fresh(n)) for _ in range(options.repeats)]
        report.add(
            "append",
            name,
            "append, 1 event per transaction",
            _median([a.library_single for a in appends]),
            "events/s",
            _median([a.raw_single for a in appends]),
            "raw insert+commit per row/s",
        )
        report.add(
            "append",
            name,
            f"append, {append.BATCH} events per transaction",
            _median([a.library_batch for a in appends]),
            "events/s",
            _median([a.raw_batch for a in appends]),
            "raw COPY/executemany, 1 transaction, rows/s",
        )
        report.details.setdefault("append", {})[name] = [asdict(a) for a in appends]

        echo(f"[{name}] 3. command latency at 10, 100, 1,000 events ({options.latency_cases} cases)")
        milestones = latency.measure(engine, options.latency_cases, options.latency_window, 77)
        for milestone in milestones:
            figures = milestone.figures()
            report.add(
                "latency",
                name,
                f"p50 at {milestone.events:,} events",
                figures["p50_ms"],
                "ms",
                figures["ceiling_p50_ms"],
                "in-memory step p50 ms",
            )
            report.add(
                "latency",
                name,
                f"p99 at {milestone.events:,} events",
                figures["p99_ms"],
                "ms",
                figures["ceiling_p99_ms"],
                "in-memory step p99 ms",
            )
        report.details.setdefault("latency", {})[name] = [m.figures() for m in milestones]
    finally:
        engine.close()
        store.drop(config)


def _server_sections(store: StoreTarget, options: Options, report: Report, echo: Echo) -> None:
    name = store.kind
    empty = store.fresh("server_empty")
    engine = bench_engine(empty, "empty")
    seed_region(engine)
    new_projector(engine).catch_up()
    engine.close()
    with serving("graphql", empty) as served:
        served_office = "LPK"
        measure_load(served, "graphql", served_office, ["LPK-0000000000"], 0.3, 50, levels=(1,))
        baseline_kib = served.peak_rss_kib()

    config = store.fresh("bulk")
    engine = bench_engine(config, "bulk")
    seed_region(engine)
    echo(f"[{name}] 7. a store of {options.store_cases:,} cases, written in bulk")
    done = [0]

    def progress(count: int) -> None:
        done[0] += count
        if done[0] % 100_000 < count:
            echo(f"      {done[0]:,} cases written")

    bulk = memory.bulk_open(engine, options.store_cases, 5, progress)
    reader = new_reader(engine, [])
    office = reader.rows("SELECT office, COUNT(*) AS n FROM rm_tasks GROUP BY office ORDER BY n DESC, office LIMIT 1")[
        0
    ]["office"]
    numbers = [r["number"] for r in reader.rows("SELECT number FROM rm_cases ORDER BY case_id LIMIT 500")]
    engine.close()
    report.details["memory"] = {
        "store": name,
        "cases": bulk.cases,
        "written_per_second": bulk.cases_per_second,
        "projected_per_second": bulk.projected_per_second,
        "office": office,
    }

    echo(f"[{name}] 6. GraphQL under load ({options.load_seconds:g} s per level, office {office})")
    with serving("graphql", config) as served:
        graphql = measure_load(served, "graphql", office, numbers, options.load_seconds, options.load_most)
        peak_kib = served.peak_rss_kib()
    with serving("plain", config) as served:
        plain = measure_load(served, "plain", office, numbers, options.load_seconds, options.load_most)
    baseline = {(f.endpoint.split(":")[1], f.clients): f for f in plain}
    for figure in graphql:
        query = figure.endpoint.split(":")[1]
        ceiling = baseline[(query, figure.clients)]
        label = f"{query} @{figure.clients} client{'s' if figure.clients > 1 else ''}"
        report.add("graphql", name, f"{label}: p50", figure.p50_ms, "ms", ceiling.p50_ms, "plain JSON p50 ms")
        report.add("graphql", name, f"{label}: p99", figure.p99_ms, "ms", ceiling.p99_ms, "plain JSON p99 ms")
        report.add(
            "graphql", name, f"{label}: requests/s", figure.per_second, "req/s", ceiling.per_second, "plain JSON req/s"
        )
    report.details["graphql"] = {"graphql": [asdict(f) for f in graphql], "plain": [asdict(f) for f in plain]}
    errors = sum(f.errors for f in graphql) + sum(f.errors for f in plain)
    if errors:
        report.skipped.append(f"{errors} requests failed under load (counted in the latencies)")
    report.add(
        "memory",
        name,
        f"server peak RSS over {options.store_cases:,} cases",
        peak_kib / 1024,
        "MiB",
        baseline_kib / 1024,
        "over an empty store, MiB",
    )
    report.add("memory", name, "bulk write, cases/s", bulk.cases_per_second, "cases/s", float("nan"), "-")
    report.add(
        "memory",
        name,
        "read models caught up over the bulk store, events/s",
        bulk.projected_per_second,
        "events/s",
        float("nan"),
        "-",
    )
    store.drop(config)
    store.drop(empty)


def _targets(report: Report) -> None:
    def find(section: str, store: str, name: str) -> float | None:
        for figure in report.figures:
            if figure.section == section and figure.store == store and figure.name == name:
                return figure.value
        return None

    def ratio(section: str, store: str, name: str) -> float | None:
        for figure in report.figures:
            if figure.section == section and figure.store == store and figure.name == name:
                return figure.ratio
        return None

    def target(name: str, wanted: str, value: float | None, ok: Callable[[float], bool], note: str = "") -> None:
        report.targets.append(Target(name, wanted, value, None if value is None else ok(value), note))

    pg = [find("throughput", "postgres", f"case steps/s, {_run_label(p, g)}") for p in (1, 2) for g in (False, True)]
    best = max((v for v in pg if v is not None), default=None)
    target(
        "durable case steps/s on PostgreSQL (best of 1, 2 processes; per command, grouped)",
        ">= 1,000",
        best,
        lambda v: v >= 1000,
    )
    target(
        "engine throughput / bare SpiffWorkflow (SQLite, 1 process)",
        ">= 0.5",
        ratio("throughput", "sqlite", "case steps/s, 1 process"),
        lambda v: v >= 0.5,
    )
    for store in ("sqlite", "postgres"):
        target(
            f"projection rebuild, all models ({store})",
            ">= 20,000/s",
            find(
                "rebuild",
                store,
                next(
                    (
                        f.name
                        for f in report.figures
                        if f.section == "rebuild" and f.store == store and f.name.startswith("all")
                    ),
                    "",
                ),
            ),
            lambda v: v >= 20_000,
        )
        target(f"replay ({store})", ">= 500 cases/s", find("replay", store, "cases verified/s"), lambda v: v >= 500)
        p50 = [find("latency", store, f"p50 at {m:,} events") for m in latency.MILESTONES]
        if all(v is not None for v in p50):
            flat = max(v for v in p50 if v is not None) / min(v for v in p50 if v is not None)
            target(
                f"command latency flat as history grows ({store})",
                "p50 max/min <= 1.5",
                flat,
                lambda v: v <= 1.5,
                "p50 at " + ", ".join(f"{v:.2f}" for v in p50 if v is not None) + " ms",
            )
        else:
            target(f"command latency flat as history grows ({store})", "p50 max/min <= 1.5", None, lambda v: True)
    work_list = [f for f in report.figures if f.section == "graphql" and f.name == "work_list @50 clients: p99"]
    target(
        "work-list query p99 at 50 clients", "<= 50 ms", work_list[0].value if work_list else None, lambda v: v <= 50
    )
