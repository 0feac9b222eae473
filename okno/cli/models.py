"""`okno validate`, `okno run-model`, `okno deploy`, `okno retire`: the analysts' commands on
BPMN/DMN models and the service catalog."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click

from engine import world
from engine.application import Engine
from engine.bpmn.model_files import collect_models
from engine.bpmn.sources import SourceFile
from engine.bpmn.validation import validate
from engine.catalog import CatalogInvalid, Service, parse_catalog
from engine.directory import CatalogChanges
from okno.bootstrap import (
    open_engine,
)


@dataclass
class _Named:
    """What the paths on a command line name: model files, and catalogs (``*.toml``)."""

    sources: list[SourceFile]
    services: list[Service] | None  # None: no catalog named
    catalogs_alone: bool  # only catalogs were named: their models are the ones beside them


def _named(paths: tuple[Path, ...], models_beside_catalog: bool = True) -> _Named:
    """Read the paths named: a folder is its models and its ``catalog.toml``; a ``.toml``
    file is a catalog, read as one; a BPMN file brings the files it needs from beside it
    (engine.bpmn.model_files). With only catalogs named, the models beside them are read
    too (``models_beside_catalog``) so that the catalog is checked against them."""
    catalog_files = [p / "catalog.toml" for p in paths if p.is_dir() and (p / "catalog.toml").exists()]
    catalog_files += [p for p in paths if p.is_file() and p.suffix.lower() == ".toml"]
    model_paths = [p for p in paths if not (p.is_file() and p.suffix.lower() == ".toml")]
    catalogs_alone = not model_paths
    if catalogs_alone and models_beside_catalog:
        model_paths = list(dict.fromkeys(path.parent for path in catalog_files))
    try:
        sources = collect_models(model_paths)
        texts = [(path, path.read_text(encoding="utf-8")) for path in catalog_files]
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot read {getattr(error, 'filename', '') or error}") from None
    services: list[Service] | None = None
    for path, text in texts:
        services = (services or []) + parse_catalog(text, str(path))
    return _Named(sources, services, catalogs_alone)


@click.command("validate", help="Check BPMN/DMN files (and a catalog.toml) without deploying; exit 1 on problems.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--explain", is_flag=True, help="Also list, per process, the BPMN elements used and whether okno runs them."
)
def validate_command(paths: tuple[Path, ...], explain: bool) -> None:
    try:
        named = _named(paths)
        sources, services = named.sources, named.services
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
            + (" (the models beside the catalog)" if named.catalogs_alone else "")
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
        # A citation is what lets a reviewer check a term or a fee against the act: the shipped
        # catalog must have one for every service (a test holds it); an analyst's draft is told.
        for service in services:
            if not service.sources:
                click.echo(
                    f"warning: catalog.toml: service {service.code}: no sources (the acts its term and fee come from)"
                )
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

    named = _named(paths)
    sources, services = named.sources, named.services
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
    _named): run-model's services = "catalog" runs the services it names."""
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


@click.command(
    "deploy",
    help="Validate and deploy BPMN/DMN files and publish a catalog.toml: its services are added or updated; "
    "a deployed service the catalog does not mention is kept (retire it with `okno retire`). "
    "A catalog.toml named alone is published alone: its processes must be deployed.",
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def deploy_command(paths: tuple[Path, ...]) -> None:
    named = _named(paths, models_beside_catalog=False)
    with open_engine() as engine:
        _deploy(engine, named.sources, named.services, world.now())


def _deploy(
    engine: Engine, sources: list[SourceFile], services: list[Service] | None, at: datetime, quiet: bool = False
) -> None:
    if sources:
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
        changes = engine.publish_catalog(services, at)
        if not quiet:
            for line in _catalog_lines(changes):
                click.echo(line)


def _catalog_lines(changes: CatalogChanges) -> list[str]:
    """What publishing did, service by service; never a service dropped unsaid."""
    lines = [f"catalog: added {code}" for code in changes.added]
    lines += [f"catalog: updated {code}" for code in changes.updated]
    lines += [
        f"catalog: retired {code} left retired (`okno retire --undo {code}` to take cases again)"
        for code in changes.still_retired
    ]
    lines += [
        f"catalog: kept {code}: deployed, not in this catalog (`okno retire {code}` to retire it)"
        for code in changes.not_mentioned
    ]
    lines.append(
        f"catalog: {len(changes.added)} added, {len(changes.updated)} updated, {len(changes.unchanged)} unchanged, "
        f"{len(changes.not_mentioned)} kept"
    )
    return lines


@click.command(
    "retire",
    help="Stop services taking new cases (their open cases go on, their history stays); "
    "with --undo, let retired services take cases again.",
)
@click.argument("codes", nargs=-1, required=True)
@click.option("--undo", is_flag=True, help="Restore the services: they take new cases again.")
def retire_command(codes: tuple[str, ...], undo: bool) -> None:
    with open_engine() as engine:
        at = world.now()
        done = engine.restore_services(list(codes), at) if undo else engine.retire_services(list(codes), at)
    for code in dict.fromkeys(codes):
        if undo:
            click.echo(f"restored {code}: takes new cases" if code in done else f"{code} was not retired")
        else:
            click.echo(
                f"retired {code}: takes no new case; its open cases go on"
                if code in done
                else f"{code} was retired already"
            )
