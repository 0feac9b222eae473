"""No hidden state: an engine's process library, runtime and kept live workflows are its
own (a script engine is made for each step, engine.bpmn.determinism), and a command's
step reaches the case it is recorded on by being passed, never parked beside it. Two
engines in one process share nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.application import Engine
from engine.bpmn.sources import SourceFile
from engine.case import Case
from engine.commands import CompleteTask
from tests.conftest import EngineMaker, at, make_engine_factory, mini_sources, seeded

APPLICANT = {"full_name": "Иванова Мария Петровна"}


def renamed_stage(sources: list[SourceFile]) -> list[SourceFile]:
    """The mini process with its reception stage named differently: another model."""
    return [SourceFile(s.name, s.text.replace("Приём документов", "Приём заявления")) for s in sources]


@pytest.fixture
def two_stores(tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    make_first, first_made = make_engine_factory(f"sqlite:///{tmp_path / 'first.sqlite'}")
    make_second, second_made = make_engine_factory(f"sqlite:///{tmp_path / 'second.sqlite'}")
    yield seeded(make_first()), seeded(make_second(), renamed_stage(mini_sources()))
    for engine in first_made + second_made:
        engine.close()


def open_case(engine: Engine) -> Case:
    return engine.open_case(
        service="mini_service", office="LPK", channel="window", applicant=APPLICANT, actor="LPK/operator", at=at()
    )


def test_two_engines_in_one_process_share_no_library_runtime_or_live_workflows(
    two_stores: tuple[Engine, Engine],
) -> None:
    first, second = two_stores
    assert first.steps.library is not second.steps.library
    assert first.steps.runtime is not second.steps.runtime
    assert first.steps.live is not second.steps.live

    one, other = open_case(first), open_case(second)
    assert one.process_version != other.process_version
    # Each engine knows only what was deployed to its own store.
    assert first.steps.library.knows(one.process_version) and not first.steps.library.knows(other.process_version)
    assert second.steps.library.knows(other.process_version) and not second.steps.library.knows(one.process_version)
    # Cases in each follow their own model.
    assert one.stage == "Приём документов"
    assert other.stage == "Приём заявления"

    # The live workflow a command keeps is its engine's: the other never sees it.
    first_hits, second_hits = first.steps.live.hits, second.steps.live.hits
    first.complete_task(
        one.number, "Task_Reception", {"documents_complete": True, "pages": 2}, actor="LPK/operator", at=at(5)
    )
    assert first.steps.live.hits == first_hits + 1
    assert second.steps.live.hits == second_hits
    assert (second.steps.live.misses, len(second.steps.live)) == (0, 1)


def test_an_engine_rebuilding_a_case_compiles_its_own_copy_of_the_model(engines: EngineMaker) -> None:
    writer = seeded(engines())
    number = open_case(writer).number
    reader = engines()
    case = reader.get_case(number)  # rebuilt from the store: the version is loaded from it too
    assert reader.steps.library.get(case.process_version) is not writer.steps.library.get(case.process_version)
    assert case.state == writer.get_case(number).state
    assert len(reader.steps.live) == 0, "loading a case keeps no live workflow: only commands do"


def test_the_step_recorded_is_the_one_passed(engines: EngineMaker) -> None:
    """What a command computed is what the case holds after recording it, and what any
    other engine rebuilds from the store, the library's own snapshots included."""
    engine = seeded(engines())
    case = open_case(engine)
    step_input = CompleteTask("Task_Reception", {"documents_complete": True, "pages": 3})
    step = engine.steps.next(case, step_input, at(5))
    case.record(
        Case.TaskCompleted, step_input, step, actor="LPK/operator", at=at(5), idempotency_key=None, signer=engine.signer
    )
    assert (case.state, case.last_effects) == (step.state, step.effects)
    engine.store.save(case)
    engine.store.take_snapshot(case.id)  # the library rebuilds the case itself, through the engine's fold
    rebuilt = engines().get_case(case.number)
    assert (rebuilt.state, rebuilt.chain, rebuilt.version) == (case.state, case.chain, 2)
    assert rebuilt.open_tasks == case.open_tasks and rebuilt.stage == case.stage
