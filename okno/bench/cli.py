"""`okno bench`: registered on the `okno` command group by okno.cli."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from okno.bench.stores import DEFAULT_PG


@click.command(
    "bench",
    help="Measure okno on a realistic regional workload: every figure beside its ceiling "
    "(see docs/PERFORMANCE.md). Not a test: the figures depend on the machine.",
)
@click.option("--quick", is_flag=True, help="Small counts, SQLite only: shows that it works, in well under a minute.")
@click.option(
    "--output",
    default="bench.json",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the figures as JSON.",
)
@click.option(
    "--postgres",
    "postgres",
    default=None,
    metavar="URL",
    help=f"PostgreSQL to measure too (default without --quick: {DEFAULT_PG}); each measurement "
    "uses schemas <schema>_<name> that it drops and creates.",
)
@click.option("--no-postgres", is_flag=True, help="SQLite figures only.")
@click.option(
    "--store-cases",
    type=click.IntRange(100, 10_000_000),
    default=None,
    help="Cases in section 7's bulk store (default 1,000,000; 2,000 with --quick).",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the SQLite files go (default: a temporary folder, removed after).",
)
def bench_command(
    quick: bool, output: Path, postgres: str | None, no_postgres: bool, store_cases: int | None, workdir: Path | None
) -> None:
    from okno.bench.report import table
    from okno.bench.run import Options, run

    url = None if no_postgres else (postgres or (None if quick else DEFAULT_PG))
    with tempfile.TemporaryDirectory(prefix="okno-bench-") as scratch:
        folder = workdir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        options = Options.of(quick, folder, url, store_cases)
        click.echo(
            f"okno bench{' --quick' if quick else ''}: SQLite in {folder}" + (f", PostgreSQL at {url}" if url else ""),
            err=True,
        )
        report = run(options, lambda line: click.echo(line, err=True))
    for line in table(report):
        click.echo(line)
    report.write(output)
    click.echo(f"\nfigures written to {output}")
