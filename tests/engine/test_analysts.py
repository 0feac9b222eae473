"""Analysts bring BPMN from the tools they already use: okno takes it, or says exactly
why not, and never prints a traceback, whatever the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.bpmn.dialects import feel_unary_test, normalize
from engine.bpmn.sources import SourceFile
from engine.bpmn.validation import explain, validate
from engine.errors import ExpressionError
from tests.commands import okno, okno_here
from tests.conftest import FIXTURES, ROOT

TOOLS = FIXTURES / "tools"


def problems(name: str) -> list[str]:
    return [str(p) for p in validate([SourceFile.read(TOOLS / name)]).problems]


def test_a_camunda_7_collaboration_with_lanes_juel_and_a_bare_timer_deploys() -> None:
    plan = validate([SourceFile.read(TOOLS / "camunda7_modeler.bpmn")])
    assert plan.problems == []
    from engine.bpmn.library import compile_bundle

    process = compile_bundle(plan.bundles[0])
    assert process.elements["Task_Reception"].role == "operator"  # from its lane
    assert process.elements["Task_Handout"].role == "operator"


def test_a_camunda_8_model_with_feel_and_zeebe_assignments_deploys() -> None:
    plan = validate([SourceFile.read(TOOLS / "camunda8_zeebe.bpmn")])
    assert plan.problems == []
    from engine.bpmn.library import compile_bundle

    assert compile_bundle(plan.bundles[0]).elements["Task_Issue"].role == "operator"


def test_a_bpmn_io_sketch_is_reported_precisely() -> None:
    found = problems("bpmnio_descriptive.bpmn")
    assert any(p.startswith("bpmnio_descriptive.bpmn:8: MessageFlow_ToNowhere: message flow targetRef") for p in found)
    assert any(": Flow_Yes: flow out of diverging gateway Gateway_Check has no condition" in p for p in found)
    warnings = [str(w) for w in validate([SourceFile.read(TOOLS / "bpmnio_descriptive.bpmn")]).warnings]
    assert any(": Task_Receive: warning: an untyped task passes straight through" in w for w in warnings)


def test_a_signavio_export_runs_with_warnings_for_what_it_leaves_unsaid() -> None:
    plan = validate([SourceFile.read(TOOLS / "signavio_export.bpmn")])
    assert plan.problems == [] and [b.process_id for b in plan.bundles] == ["sid-pension-certificate"]
    warnings = [str(w) for w in plan.warnings]
    assert warnings[0].startswith(
        "signavio_export.bpmn:5: sid-pension-certificate: warning: process sid-pension-certificate is marked "
        "not executable, but it is the file's only process"
    )
    assert any(": sid-reception: warning: user task has no role" in w for w in warnings)


def test_explain_lists_each_element_kind_and_whether_it_runs() -> None:
    uses = {u.kind: u for u in explain(SourceFile.read(TOOLS / "bpmnio_descriptive.bpmn"))["subsidy_sketch"]}
    assert uses["task"].supported is True and uses["task"].count == 2  # passes through, with a warning
    assert uses["exclusiveGateway"].supported is True


@pytest.mark.parametrize(
    ("written", "okno_form"),
    [
        ("${amount > 1000 && approved}", "amount > 1000 and approved"),
        ("${decision eq 'registered' || !paid}", "decision == 'registered' or not paid"),
        ("${x == null}", "x == None"),
        ('= status = "ok" and x != null', 'status == "ok" and x != None'),
        ("= x in [1, 2, 3]", "x in [1, 2, 3]"),
        ('= duration("P3D")', '"P3D"'),
        ("= payment.paid = true", "payment.paid == True"),
    ],
)
def test_juel_and_feel_conditions_translate_to_okno(written: str, okno_form: str) -> None:
    assert normalize(written) == okno_form


@pytest.mark.parametrize(
    ("written", "okno_form"),
    [
        ("PT72H", '"PT72H"'),
        ("P3D", '"P3D"'),
        ("R3/PT10M", '"R3/PT10M"'),
        ("2026-12-31", '"2026-12-31"'),
        ('"P30D"', '"P30D"'),
    ],
)
def test_bare_iso_timers_are_taken_as_written(written: str, okno_form: str) -> None:
    assert normalize(written, timer=True) == okno_form


@pytest.mark.parametrize(
    ("test", "okno_form"),
    [
        ('"a","b"', '(? == "a") or (? == "b")'),
        ("[1..5]", "? >= 1 and ? <= 5"),
        ("(0..10]", "? > 0 and ? <= 10"),
        ('not("x")', 'not (? == "x")'),
        (">= 18", "? >= 18"),
        ("true", "? == True"),
        ("-", "-"),
    ],
)
def test_feel_unary_tests_translate(test: str, okno_form: str) -> None:
    assert feel_unary_test(test) == okno_form


@pytest.mark.parametrize(
    "written",
    [
        "${execution.getProcessInstanceId()}",
        "${orderService.isValid(order)}",
        "${fn:trim(name)}",
        '= matches(name, "^[A-Z]+$")',
        "= function(x) x + 1",
        "${a : b}",
    ],
)
def test_what_is_outside_the_subset_is_refused_with_the_reason(written: str) -> None:
    with pytest.raises(ExpressionError, match=r"not supported|not FEEL|not JUEL|cannot run|Java API|regular"):
        normalize(written)


SCENARIOS = sorted((ROOT / "processes" / "scenarios").glob("*.toml"))


# In process (okno_here: the command itself, through okno.cli.run): a process per scenario
# cost a second and more of interpreter start each, near two minutes of the suite; the command's own process is
# run by test_a_failing_expectation_fails_run_model and the CLI tests. Each names its own
# BPMN file, as an analyst does: it brings its DMN, forms and called processes from beside it
# (the whole folder, validated per scenario, took four times as long).
@pytest.mark.slow
@pytest.mark.parametrize("script", SCENARIOS, ids=[s.stem for s in SCENARIOS])
def test_every_scenario_of_the_shipped_processes_passes_run_model(script: Path, tmp_path: Path) -> None:
    model = ROOT / "processes" / f"{script.stem.split('-', 1)[0]}.bpmn"
    result = okno_here("run-model", str(model), "--inputs", str(script), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("passed")


def test_every_shipped_process_and_every_catalog_service_has_a_scenario() -> None:
    import tomllib

    from engine.catalog import parse_catalog

    processes = {p.stem for p in (ROOT / "processes").glob("*.bpmn")}
    covered = {s.stem.split("-", 1)[0] for s in SCENARIOS}
    assert processes <= covered
    catalog = parse_catalog((ROOT / "processes" / "catalog.toml").read_text(encoding="utf-8"))
    services = set()
    for script in SCENARIOS:
        loaded = tomllib.loads(script.read_text(encoding="utf-8"))
        named = loaded.get("services", [])
        if named == "catalog":  # every catalog service of the script's process
            process = loaded.get("process") or script.stem.split("-", 1)[0]
            named = [s.code for s in catalog if s.process == process]
        services |= set(named)
    assert {s.code for s in catalog} <= services


def test_a_failing_expectation_fails_run_model(tmp_path: Path) -> None:
    script = tmp_path / "wrong.toml"
    script.write_text(
        'process = "migration_registration"\n[[step]]\ncomplete = "Task_Reception"\n'
        'data = { address = "x", owner_consent = false, basis = "ownership" }\n'
        '[expect]\noutcome = "registered"\n',
        encoding="utf-8",
    )
    result = okno("run-model", str(ROOT / "processes"), "--inputs", str(script), cwd=tmp_path)
    assert result.returncode == 1
    assert "FAILED: expected outcome = 'registered', got 'refused_at_reception'" in result.stdout


MINI = (FIXTURES / "mini.bpmn").read_text(encoding="utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_no_input_file_makes_validation_crash(data: st.DataObject) -> None:
    """Truncated, spliced and garbled models: always problems or bundles, never an exception."""
    choice = data.draw(st.integers(0, 3))
    if choice == 0:
        text = MINI[: data.draw(st.integers(0, len(MINI)))]
    elif choice == 1:
        start = data.draw(st.integers(0, len(MINI)))
        text = MINI[:start] + data.draw(st.text(max_size=40)) + MINI[start + data.draw(st.integers(0, 60)) :]
    elif choice == 2:
        text = data.draw(st.text(max_size=300))
    else:
        attribute = data.draw(
            st.sampled_from(
                [
                    'id="',
                    'sourceRef="',
                    'targetRef="',
                    'messageRef="',
                    'default="',
                    'attachedToRef="',
                    'camunda:formKey="',
                    'type="',
                ]
            )
        )
        text = MINI.replace(attribute, attribute + data.draw(st.text(alphabet="xyz_<&\"'", max_size=5)), 1)
    plan = validate([SourceFile(data.draw(st.sampled_from(["m.bpmn", "m.dmn"])), text)])
    assert plan.problems or plan.bundles


@pytest.mark.slow
def test_the_cli_never_prints_a_traceback_for_a_broken_file(tmp_path: Path) -> None:
    for name, content in (
        ("empty.bpmn", ""),
        ("binary.bpmn", "\x00\x01PK\x03"),
        ("half.bpmn", MINI[:700]),
        ("dmn.dmn", "<definitions/>"),
    ):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        result = okno("validate", str(path), cwd=tmp_path)
        assert result.returncode in (1, 2) and "Traceback" not in result.stdout + result.stderr, result.stderr
