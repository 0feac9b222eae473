"""processes/README.md's element table says what okno does with every BPMN element, and
says what `okno validate --explain` says: each row is held to the element table
(engine.bpmn.elements) and to explain's verdict on a model that uses the element."""

from __future__ import annotations

import re

import pytest

from engine.bpmn.elements import EVENT_SUBPROCESS_MESSAGE, KINDS, MI_STANDARD, MI_ZEEBE
from engine.bpmn.sources import SourceFile
from engine.bpmn.validation import ElementUse, explain
from tests.conftest import ROOT

README = (ROOT / "processes" / "README.md").read_text(encoding="utf-8")
_TABLE = README.split("<!-- element-table -->")[1].split("<!-- /element-table -->")[0]
_ROW = re.compile(r"^\| `(?P<kind>[^`]+)` \|.*\| (?P<verdict>runs|kept|part|refused)(?P<rest>[^|]*)\|$")
ROWS = {m["kind"]: (m["verdict"], m["rest"]) for line in _TABLE.splitlines() if (m := _ROW.match(line.strip()))}
# Not inside a process: explain reports per process, so these are held to the table only.
FILE_LEVEL = {"collaboration", "participant", "messageFlow"}


def test_every_row_of_the_table_is_read() -> None:
    body = [line for line in _TABLE.strip().splitlines()[2:] if line.strip()]
    assert len(body) == len(ROWS), "a row the test cannot read: `kind` | … | runs/kept/part/refused…"


def test_the_table_and_the_readme_list_the_same_elements() -> None:
    assert sorted(ROWS) == sorted(KINDS)


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_a_row_says_what_the_element_table_says(kind: str) -> None:
    verdict, rest = ROWS[kind]
    assert verdict == KINDS[kind].support
    if verdict == "refused":  # the reason is the one a deploy gives
        assert rest.strip(" :") == KINDS[kind].note


def _uses(kind: str, n: int) -> str:
    """One use of ``kind`` inside a process."""
    if kind.endswith("EventDefinition"):
        return f'<bpmn:intermediateCatchEvent id="E{n}"><bpmn:{kind} id="D{n}"/></bpmn:intermediateCatchEvent>'
    if kind == EVENT_SUBPROCESS_MESSAGE:
        start = f'<bpmn:startEvent id="S{n}"><bpmn:messageEventDefinition id="M{n}"/></bpmn:startEvent>'
        return f'<bpmn:subProcess id="E{n}" triggeredByEvent="true">{start}</bpmn:subProcess>'
    marker = "bpmn:multiInstanceLoopCharacteristics"
    if kind == MI_STANDARD:
        loop = "<bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>"
        return f'<bpmn:userTask id="E{n}"><{marker}>{loop}</{marker}></bpmn:userTask>'
    if kind == MI_ZEEBE:
        loop = '<bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items"/></bpmn:extensionElements>'
        return f'<bpmn:userTask id="E{n}"><{marker}>{loop}</{marker}></bpmn:userTask>'
    return f'<bpmn:{kind} id="E{n}"/>'


def test_explain_gives_every_element_in_a_process_the_tables_verdict() -> None:
    kinds = sorted(set(ROWS) - FILE_LEVEL)
    body = "\n".join(_uses(kind, n) for n, kind in enumerate(kinds))
    text = (
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="D" targetNamespace="http://okno.example/t">'
        f'<bpmn:process id="every" isExecutable="true">{body}</bpmn:process></bpmn:definitions>'
    )
    uses: dict[str, ElementUse] = {use.kind: use for use in explain(SourceFile("every.bpmn", text))["every"]}
    for kind in kinds:
        if not KINDS[kind].listed:  # references and text inside their parent: not listed
            assert kind not in uses, kind
            continue
        assert kind in uses, f"explain does not report {kind}"
        verdict = ROWS[kind][0]
        assert uses[kind].supported == (verdict != "refused"), kind
