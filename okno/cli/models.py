"""`okno validate`, `okno run-model`, `okno deploy`, `okno retire`: the analysts' commands on
BPMN/DMN models and the service catalog."""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field
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
from engine.working_days import CalendarInvalid, WorkingCalendar
from okno.bootstrap import (
    open_engine,
)


@dataclass
class _Named:
    """What the paths on a command line name: model files, catalogs and working calendars
    (``*.toml``, told apart by what they hold)."""

    sources: list[SourceFile]
    services: list[Service] | None  # None: no catalog named
    catalogs_alone: bool  # only catalogs were named: their models are the ones beside them
    catalog_of: dict[str, Path] = field(default_factory=dict)  # service code -> the catalog naming it
    calendars: dict[Path, WorkingCalendar] = field(default_factory=dict)
    skipped: list[Path] = field(default_factory=list)  # named, but neither a model, a catalog nor a calendar

    def warnings(self) -> list[str]:
        return [f"warning: {path}: skipped: {_NOT_A_MODEL}" for path in self.skipped]


# What a file named directly may be; the shell's `processes/*` also names READMEs and scripts.
# .xml: Flowable's *.bpmn20.xml, and models exported under that name.
MODEL_SUFFIXES = (".bpmn", ".dmn", ".xml", ".form", ".json")
_NOT_A_MODEL = f"not a model ({', '.join(MODEL_SUFFIXES)}), a catalog or a calendar (.toml)"


def _is_calendar(path: Path, text: str) -> bool:
    """A working calendar ([[day]] corrections, processes/calendar.toml) rather than a
    catalog: the shell's ``processes/*`` names both."""
    if path.name == "calendar.toml":
        return True
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False  # read as a catalog, which says the TOML is not valid
    return "day" in document and "service" not in document


def _named(paths: tuple[Path, ...], models_beside_catalog: bool = True) -> _Named:
    """Read the paths named: a folder is its models, its ``catalog.toml`` and its
    ``calendar.toml``; a ``.toml`` file is a catalog, or a working calendar when it holds
    ``[[day]]`` entries; a BPMN file brings the files it needs from beside it
    (engine.bpmn.model_files). With only catalogs named, the models beside them are read
    too (``models_beside_catalog``) so that the catalog is checked against them."""
    toml_files = [p / name for p in paths if p.is_dir() for name in ("catalog.toml", "calendar.toml")]
    toml_files = [p for p in toml_files if p.exists()]
    toml_files += [p for p in paths if p.is_file() and p.suffix.lower() == ".toml"]
    named_files = [p for p in paths if p.is_file() and p.suffix.lower() != ".toml"]
    skipped = [p for p in named_files if p.suffix.lower() not in MODEL_SUFFIXES]
    model_paths = [p for p in paths if p.is_dir() or (p in named_files and p not in skipped)]
    try:
        texts = [(path, path.read_text(encoding="utf-8")) for path in toml_files]
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot read {getattr(error, 'filename', '') or error}") from None
    calendar_texts = [(path, text) for path, text in texts if _is_calendar(path, text)]
    catalog_texts = [(path, text) for path, text in texts if not _is_calendar(path, text)]
    catalogs_alone = not model_paths and bool(catalog_texts)
    if catalogs_alone and models_beside_catalog:
        model_paths = list(dict.fromkeys(path.parent for path, _ in catalog_texts))
    try:
        sources = collect_models(model_paths)
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot read {getattr(error, 'filename', '') or error}") from None
    named = _Named(sources, None, catalogs_alone, skipped=skipped)
    for path, text in catalog_texts:
        found = parse_catalog(text, str(path))
        named.services = (named.services or []) + found
        named.catalog_of.update((service.code, path) for service in found)
    for path, text in calendar_texts:
        named.calendars[path] = WorkingCalendar.from_toml(text, str(path))
    if not (sources or catalog_texts or calendar_texts):
        why = [f"{path}: {_NOT_A_MODEL}" for path in skipped] or ["the folders named hold no models"]
        raise click.ClickException("nothing to read: " + "; ".join(why))
    return named


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
    except CalendarInvalid as error:
        click.echo(str(error))
        sys.exit(1)
    plan = validate(sources)
    for line in named.warnings() + [str(warning) for warning in plan.warnings]:
        click.echo(line)
    problems = [str(p) for p in plan.problems]
    if services is not None and not plan.problems:
        known = {b.process_id for b in plan.bundles}
        problems += [
            f"{named.catalog_of[s.code]}: service {s.code}: process {s.process!r} is not among the files validated"
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
                    f"warning: {named.catalog_of[service.code]}: service {service.code}: "
                    "no sources (the acts its term and fee come from)"
                )
        click.echo(f"ok catalog: {len(services)} services")
    for path, calendar in named.calendars.items():
        click.echo(f"ok calendar {path}: {_calendar_days(calendar)}")


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


def _calendar_days(calendar: WorkingCalendar) -> str:
    working = sum(calendar.overrides.values())
    return f"{working} working day(s) and {len(calendar.overrides) - working} day(s) off moved by decree"


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
    try:
        named = _named(paths, models_beside_catalog=False)
    except CalendarInvalid as error:
        raise click.ClickException(str(error)) from None
    for line in named.warnings():
        click.echo(line)
    with open_engine() as engine:
        _deploy(engine, named.sources, named.services, world.now())
    for path in named.calendars:
        # The calendar is the server's configuration, read at start: deploying cannot change it.
        click.echo(f"calendar {path}: checked, not deployed: okno reads its working calendar from OKNO_CALENDAR_FILE")


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
