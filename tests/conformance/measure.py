"""How much of the conformance corpus okno accepts as written: ``python -m tests.conformance.measure``.

Not a test: it never fails on a refusal. It validates every model of ``corpus.toml`` (with the
files it is deployed with) through ``engine.bpmn.validation.validate``, as ``okno validate``
does, and prints how many models pass and, per refusal cause, how many models it affects.
Issue 16 makes these figures move; SOURCES.md keeps the "before".

The models themselves are not in this repository (see SOURCES.md): they are read from
``$OKNO_CONFORMANCE_MODELS``, else ``../shared/conformance/models`` beside the checkout,
else ``tests/conformance/models``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.bpmn.library import compile_bundle
from engine.bpmn.service_tasks import ServiceTaskProblem
from engine.bpmn.sources import ProcessBundle, SourceFile
from engine.bpmn.validation import Plan, validate
from engine.errors import OknoError
from engine.run_model import run

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.toml"
# The files deployed beside a model that `okno validate FOLDER` would read; a model itself is
# always read, as `okno validate FILE` reads it (so a form file alone is refused as not XML).
DEPLOYABLE = (".bpmn", ".bpmn20.xml", ".bpmn2", ".dmn", ".dmn11.xml", ".xml")
# Form files a model's user tasks name (Camunda Forms, SpiffArena JSON Schema): deployed beside it.
FORMS = (".form", ".json")
# The step kinds of `okno run-model`; a scenario may use others that the source's test needs
# and that okno cannot express yet.
STEP_KINDS = ("complete", "message", "signal", "wait", "job")
TOOK = "took the expected path"  # play()'s verdict on a scenario that passed


@dataclass
class Outcome:
    file: str
    causes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    plan: Plan | None = None
    scenario: str | None = None  # what became of the model's scenario, if it has one

    @property
    def passed(self) -> bool:
        return not self.causes


def models_root() -> Path:
    configured = os.environ.get("OKNO_CONFORMANCE_MODELS")
    candidates = [Path(configured)] if configured else []
    candidates += [HERE.parents[2] / "shared" / "conformance" / "models", HERE / "models"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise SystemExit(
        "no conformance models found: set OKNO_CONFORMANCE_MODELS to the folder that holds "
        "the sources' folders (camunda7-examples/, flowable/, …); see tests/conformance/SOURCES.md"
    )


# A problem's message names ids, expressions and line numbers; its cause is the message without them.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|«[^»]*»")
_PROCESS_ID = re.compile(r"\bprocess \S+ (is|has)")
_NUMBER = re.compile(r"\b\d+\b")
_NAMED = re.compile(r"\b(gateway|name) \S+")
_AFTER_DETAIL = re.compile(r" \((fields|first on line|expected|got)[^)]*\)")


def cause_of(message: str) -> str:
    text = _QUOTED.sub("…", message)
    text = _PROCESS_ID.sub(r"process … \1", text)
    text = _NAMED.sub(r"\1 …", text)
    text = _AFTER_DETAIL.sub("", text)
    text = _NUMBER.sub("N", text)
    return text.strip()[:160]


def measure(entry: dict[str, Any], root: Path) -> Outcome:
    name = str(entry["file"])
    outcome = Outcome(name)
    paths = [root / name] + [root / str(extra) for extra in entry.get("with", [])]
    try:
        if hashlib.sha256(paths[0].read_bytes()).hexdigest() != entry.get("sha256"):
            # Another file than the one the expected path was read for: measuring it would mislead.
            outcome.causes.append("the file differs from corpus.toml (sha256)")
            return outcome
        sources = [SourceFile.read(paths[0])]
        sources += [SourceFile.read(path) for path in paths[1:] if path.name.lower().endswith((*DEPLOYABLE, *FORMS))]
        plan = validate(sources)
    except (OSError, UnicodeDecodeError) as error:
        outcome.causes.append(f"cannot read: {type(error).__name__}")
        return outcome
    except Exception as error:  # a crash is a finding, not a reason to stop measuring
        outcome.causes.append(f"CRASH {type(error).__name__}")
        outcome.details.append(f"{name}: CRASH {type(error).__name__}: {error}")
        return outcome
    outcome.plan = plan
    for problem in plan.problems:
        outcome.causes.append(cause_of(problem.message))
        outcome.details.append(str(problem))
    return outcome


def play(entry: dict[str, Any], outcome: Outcome, root: Path, unchecked: bool) -> str:
    """Run the model's scenario as `okno run-model` would; say how it went, in a few words.

    With ``unchecked`` a model that validate refuses runs anyway, straight on SpiffWorkflow
    through okno's runtime: a diagnostic for whoever makes validate accept it (is the scenario
    right, what would the runtime do), never a verdict on okno.
    """
    scenario: dict[str, Any] = entry["scenario"]
    unknown = sorted(
        {
            kind
            for step in scenario.get("step", [])
            for kind in step
            if kind not in (*STEP_KINDS, "data", "payload", "result", "fail", "expect_error")
        }
    )
    if unknown:
        return f"needs step kinds okno lacks: {', '.join(unknown)}"
    if unchecked and not outcome.passed:
        try:
            bpmn = SourceFile.read(root / str(entry["file"]))
            dmn = tuple(
                SourceFile.read(root / str(extra))
                for extra in entry.get("with", [])
                if str(extra).lower().endswith(".dmn")
            )
        except OSError as error:  # a models folder that lacks a `with` file: say so, go on
            outcome.details.append(f"{outcome.file}: scenario: cannot read {error.filename}")
            return "cannot read its files"
        bundles = [ProcessBundle(str(scenario.get("process")), bpmn, dmn)]
    elif outcome.plan is None or not outcome.passed:
        return "refused by validate"
    else:
        bundles = [b for b in outcome.plan.bundles if b.process_id == scenario.get("process")]
    if len(bundles) != 1:
        return f"process {scenario.get('process')!r} not among the validated processes"
    try:
        result = run(compile_bundle(bundles[0]), scenario)
    except (ValidationException, ServiceTaskProblem) as error:  # compiling, reached only unchecked
        outcome.details.append(f"{outcome.file}: scenario: {error}")
        return f"compiling refused the model ({type(error).__name__})"
    except OknoError as error:
        outcome.details.append(f"{outcome.file}: scenario: {error}")
        return f"run failed: {error.code}"
    except Exception as error:  # a crash inside the run is a finding too
        outcome.details.append(f"{outcome.file}: scenario CRASH {type(error).__name__}: {error}")
        return f"run CRASH {type(error).__name__}"
    if result.ok:
        return TOOK
    outcome.details.extend(f"{outcome.file}: scenario: {failure}" for failure in result.failures)
    return "took another path"


def gap_of(outcome: Outcome) -> str:
    """Why a model's scenario does not take its path, in one line for ``known_gap``."""
    first = next((d.split(": ", 1)[1] for d in outcome.details if ": " in d), "")
    # With --unchecked a refused model's scenario may run; the refusal is still its gap.
    verdict = outcome.scenario if outcome.passed else "refused by validate"
    reason = f"{verdict}: {first}" if first else str(verdict)
    return " ".join(reason.split())[:200]


def mark_gaps(text: str, gaps: dict[str, str | None]) -> str:
    """corpus.toml's text with ``known_gap`` set for each model in ``gaps`` (None drops it):
    one line after the model's ``expected`` line, so the rest of the file stays as written."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    current: str | None = None
    for line in lines:
        if line.startswith("file = "):
            current = tomllib.loads(line)["file"]
        if line.startswith("known_gap = ") and current in gaps:
            continue
        out.append(line)
        if line.startswith("expected = ") and current in gaps and gaps[current] is not None:
            out.append(f"known_gap = {json.dumps(gaps[current], ensure_ascii=False)}\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--details", action="store_true", help="also print every problem of every model")
    parser.add_argument("--source", help="measure only the models of this source (e.g. flowable)")
    parser.add_argument(
        "--unchecked",
        action="store_true",
        help="run every scenario, also of models validate refuses (a diagnostic, see play())",
    )
    parser.add_argument(
        "--mark-gaps",
        action="store_true",
        help="write known_gap into corpus.toml for every scenario off its path, and drop it where one now takes it",
    )
    args = parser.parse_args(argv)
    root = models_root()
    entries = tomllib.loads(CORPUS.read_text(encoding="utf-8"))["model"]
    if args.source:
        entries = [e for e in entries if e["source"] == args.source]
    outcomes = [measure(entry, root) for entry in entries]
    for entry, outcome in zip(entries, outcomes, strict=True):
        if "scenario" in entry:
            outcome.scenario = play(entry, outcome, root, args.unchecked)

    by_cause: dict[str, set[str]] = defaultdict(set)
    for outcome in outcomes:
        for cause in outcome.causes:
            by_cause[cause].add(outcome.file)
    passed = [o for o in outcomes if o.passed]
    per_source: Counter[str] = Counter()
    per_source_passed: Counter[str] = Counter()
    for entry, outcome in zip(entries, outcomes, strict=True):
        per_source[str(entry["source"])] += 1
        per_source_passed[str(entry["source"])] += outcome.passed

    print(f"models from {root}")
    print("\nrefusals by cause (models affected):")
    for cause, files in sorted(by_cause.items(), key=lambda item: (-len(item[1]), item[0])):
        print(f"  {len(files):4d}  {cause}")
    print("\nper source:")
    for source, total in sorted(per_source.items()):
        print(f"  {per_source_passed[source]:4d} of {total:3d}  {source}")
    print("\npassing:" if passed else "\npassing: none")
    for outcome in passed:
        print(f"  {outcome.file}")
    played = [o for o in outcomes if o.scenario is not None]
    print(f"\nscenarios ({len(played)} models have one):")
    for verdict, count in Counter(o.scenario for o in played).most_common():
        print(f"  {count:4d}  {verdict}")
    for outcome in played:
        if outcome.passed or args.unchecked:
            print(f"        {outcome.file}: {outcome.scenario}")
    if args.details:
        print("\nproblems:")
        for outcome in outcomes:
            for detail in outcome.details:
                print(f"  {detail}")
    if args.mark_gaps:
        gaps = {
            str(entry["file"]): None if outcome.scenario == TOOK and outcome.passed else gap_of(outcome)
            for entry, outcome in zip(entries, outcomes, strict=True)
            if outcome.scenario is not None
        }
        CORPUS.write_text(mark_gaps(CORPUS.read_text(encoding="utf-8"), gaps), encoding="utf-8")
        marked = sum(gap is not None for gap in gaps.values())
        print(f"\nknown_gap: set on {marked} models, clear on {len(gaps) - marked}")
    took = sum(o.scenario == TOOK for o in played)
    print(f"\n{len(passed)} of {len(outcomes)} pass validate; {took} of {len(played)} scenarios take the expected path")
    return 0


if __name__ == "__main__":
    sys.exit(main())
