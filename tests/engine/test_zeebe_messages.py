"""A Camunda 8 model's message catches merge the message's variables into the case, as
Zeebe does; a payload that is not an object stays under the message's name; a case's own
thrown message still reaches its own catch; a Camunda 7 model keeps the payload under the
message's name (engine/bpmn/zeebe_messages.py)."""

from __future__ import annotations

from pathlib import Path

from tests.commands import okno_here
from tests.conftest import FIXTURES, ROOT

OWN = ROOT / "tests" / "conformance" / "models_okno"


def run_model(model: Path, script: str, tmp_path: Path) -> str:
    inputs = tmp_path / "inputs.toml"
    inputs.write_text(script, encoding="utf-8")
    result = okno_here("run-model", str(model), "--inputs", str(inputs), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_zeebe_catch_merges_an_object_and_keeps_anything_else_under_the_message_name(tmp_path: Path) -> None:
    model = OWN / "subprocesses" / "zeebe_message_catch.bpmn"
    merged = run_model(
        model,
        'process = "okno_c8_message"\ndata = { request_no = "Q-7" }\n'
        '[[step]]\nmessage = "agency_reply"\npayload = { reply = "ok", pages = 3 }\n'
        '[expect]\ncompleted = true\ndata = { reply = "ok", pages = 3 }\n',
        tmp_path,
    )
    assert "agency_reply=" not in merged  # nothing kept under the message's name
    assert "reply='ok'" in merged


def test_a_message_the_case_throws_reaches_its_own_zeebe_catch(tmp_path: Path) -> None:
    output = run_model(
        FIXTURES / "zeebe" / "self_thrown_message.bpmn",
        'process = "zeebe_self_thrown"\n[expect]\ncompleted = true\n',
        tmp_path,
    )
    assert output.rstrip().endswith("passed")


def test_a_camunda_7_catch_keeps_the_payload_under_the_message_name(tmp_path: Path) -> None:
    output = run_model(
        OWN / "messages" / "c7_message_intermediate_catch.bpmn",
        'process = "okno_msg_wait_answer"\n[[step]]\nmessage = "fns_answer"\npayload = { found = true }\n'
        '[expect]\ntasks_open = ["Task_Read"]\n',
        tmp_path,
    )
    assert "fns_answer={'found': True}" in output and "found=True" not in output
