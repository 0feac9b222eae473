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
import os
import re
import sys
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from engine.bpmn.sources import SourceFile
from engine.bpmn.validation import validate

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.toml"
# Files a model is deployed with that okno's validator does not read (yet): forms.
DEPLOYABLE = (".bpmn", ".bpmn20.xml", ".bpmn2", ".dmn", ".dmn11.xml", ".xml")


@dataclass
class Outcome:
    file: str
    causes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

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
    raise SystemExit("no conformance models found: set OKNO_CONFORMANCE_MODELS to the folder that holds "
                     "the sources' folders (camunda7-examples/, flowable/, …); see tests/conformance/SOURCES.md")


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


def measure(entry: dict[str, object], root: Path) -> Outcome:
    name = str(entry["file"])
    outcome = Outcome(name)
    paths = [root / name] + [root / str(extra) for extra in entry.get("with", [])]  # type: ignore[attr-defined]
    try:
        sources = [SourceFile.read(path) for path in paths if path.name.lower().endswith(DEPLOYABLE)]
        plan = validate(sources)
    except (OSError, UnicodeDecodeError) as error:
        outcome.causes.append(f"cannot read: {type(error).__name__}")
        return outcome
    except Exception as error:  # a crash is a finding, not a reason to stop measuring
        outcome.causes.append(f"CRASH {type(error).__name__}")
        outcome.details.append(f"{name}: CRASH {type(error).__name__}: {error}")
        return outcome
    for problem in plan.problems:
        outcome.causes.append(cause_of(problem.message))
        outcome.details.append(str(problem))
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--details", action="store_true", help="also print every problem of every model")
    parser.add_argument("--source", help="measure only the models of this source (e.g. flowable)")
    args = parser.parse_args(argv)
    root = models_root()
    entries = tomllib.loads(CORPUS.read_text(encoding="utf-8"))["model"]
    if args.source:
        entries = [e for e in entries if e["source"] == args.source]
    outcomes = [measure(entry, root) for entry in entries]

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
    if args.details:
        print("\nproblems:")
        for outcome in outcomes:
            for detail in outcome.details:
                print(f"  {detail}")
    print(f"\n{len(passed)} of {len(outcomes)} pass validate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
