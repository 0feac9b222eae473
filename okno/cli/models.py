"""`okno validate`, `okno run-model`, `okno deploy`: the analysts' commands on BPMN/DMN models."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from engine import world
from engine.application import Engine
from engine.bpmn.sources import SourceFile, collect_sources
from engine.bpmn.validation import validate
from engine.catalog import CatalogInvalid, Service, parse_catalog
from okno.bootstrap import (
    open_engine,
)


def _sources(paths: tuple[Path, ...]) -> tuple[list[SourceFile], list[Service] | None]:
    try:
        sources = collect_sources(list(paths))
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot read {getattr(error, 'filename', '') or error}") from None
    catalog_files = [p / "catalog.toml" for p in paths if p.is_dir() and (p / "catalog.toml").exists()]
    catalog_files += [p for p in paths if p.is_file() and p.suffix == ".toml"]
    services: list[Service] | None = None
    for path in catalog_files:
        services = (services or []) + parse_catalog(path.read_text(encoding="utf-8"), str(path))
    return sources, services


@click.command("validate", help="Check BPMN/DMN files (and a catalog.toml) without deploying; exit 1 on problems.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--explain", is_flag=True, help="Also list, per process, the BPMN elements used and whether okno runs them."
)
def validate_command(paths: tuple[Path, ...], explain: bool) -> None:
    try:
        sources, services = _sources(paths)
        if explain:
            _explain(sources)
    except CatalogInvalid as error:
        for found in error.problems:
            click.echo(str(found))
        sys.exit(1)
    plan = validate(sources)
    for warning in plan.warnings:
        click.echo(str(warning))
    problems = [str(p) for p in plan.problems]
    if services is not None and not plan.problems:
        known = {b.process_id for b in plan.bundles}
        problems += [
            f"catalog.toml: service {s.code}: process {s.process!r} is not among the files validated"
            for s in services
            if s.process not in known
        ]
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    for bundle in plan.bundles:
        calls = "".join(f" + {called.name}" for called in bundle.called)  # the called files are in its version
        click.echo(f"ok {bundle.process_id} {bundle.version[:12]} ({bundle.bpmn.name}{calls})")
    if services is not None:
        click.echo(f"ok catalog: {len(services)} services")


@click.command("run-model", help="Run a model on scripted inputs and print the path taken (a unit test for analysts).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--inputs",
    "inputs",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The TOML script of inputs and expectations.",
)
def run_model_command(paths: tuple[Path, ...], inputs: Path) -> None:
    from engine.bpmn.library import compile_bundle
    from engine.run_model import ScriptInvalid, load_script, run_services

    sources, services = _sources(paths)
    plan = validate(sources)
    if plan.problems:
        for problem in plan.problems:
            click.echo(str(problem))
        sys.exit(1)
    script = load_script(inputs.read_text(encoding="utf-8"), inputs.name)
    wanted = script.get("process")
    bundles = [b for b in plan.bundles if wanted in (None, b.process_id)]
    if len(bundles) != 1:
        raise ScriptInvalid(
            f'{inputs.name}: name the process to run (process = "…"); the files hold '
            f"{', '.join(b.process_id for b in plan.bundles) or 'none'}"
        )
    process = compile_bundle(bundles[0])
    failed = False
    catalog = services if services is not None else _catalog_beside(paths)
    for service, result in run_services(process, script, catalog, inputs.name):
        click.echo(
            f"{bundles[0].process_id} {bundles[0].version[:12]} with {inputs.name}"
            + (f" for {service}" if service else "")
        )
        for line in result.lines:
            click.echo(f"  {line}")
        for failure in result.failures:
            click.echo(f"FAILED: {failure}")
        failed = failed or not result.ok
    if failed:
        sys.exit(1)
    click.echo("passed")


def _catalog_beside(paths: tuple[Path, ...]) -> list[Service] | None:
    """The catalog.toml beside the BPMN files given one by one (a folder given is read by
    _sources): run-model's services = "catalog" runs the services it names."""
    found = sorted({p.parent / "catalog.toml" for p in paths if p.is_file() and p.suffix == ".bpmn"})
    catalogs = [path for path in found if path.exists()]
    if not catalogs:
        return None
    return [s for path in catalogs for s in parse_catalog(path.read_text(encoding="utf-8"), str(path))]


def _explain(sources: list[SourceFile]) -> None:
    from engine.bpmn.validation import explain

    for source in sources:
        if source.is_dmn:
            continue
        for process_id, uses in explain(source).items():
            click.echo(f"{source.name}: process {process_id}")
            for use in uses:
                mark = "yes" if use.supported else "NO "
                click.echo(f"  {mark}  {use.kind} ×{use.count}" + (f" — {use.note}" if use.note else ""))


@click.command("deploy", help="Validate and deploy BPMN/DMN files (and a catalog.toml) to the store.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def deploy_command(paths: tuple[Path, ...]) -> None:
    sources, services = _sources(paths)
    with open_engine() as engine:
        _deploy(engine, sources, services, world.now())


def _deploy(
    engine: Engine, sources: list[SourceFile], services: list[Service] | None, at: datetime, quiet: bool = False
) -> None:
    report = engine.deploy(sources, at)
    if not quiet:
        for warning in report.warnings:
            click.echo(str(warning))
    if not report.ok:
        for problem in report.problems:
            click.echo(str(problem))
        click.echo(f"{len(report.problems)} problem(s); nothing was deployed", err=True)
        sys.exit(1)
    if not quiet:
        for item in report.deployed:
            state = "deployed" if item.new else "unchanged"
            click.echo(f"{state} {item.process_id} {item.version[:12]}")
    if services is not None:
        changed = engine.publish_catalog(services, at)
        if not quiet:
            click.echo(f"catalog: {len(services)} services ({'published' if changed else 'unchanged'})")
