"""Messages as contracts (issue 17, finding 1): a process declares what it receives and
sends with payload schemas, the contract travels with the version, a payload that breaks
it is refused before anything is recorded, and the shipped models cannot drift from theirs."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from lxml import etree

from engine.application import Engine
from engine.bpmn.library import compile_bundle
from engine.bpmn.message_contracts import RECEIVES, SENDS, contracts_of
from engine.bpmn.sources import BPMN_NS, CAMUNDA_NS, ProcessBundle, SourceFile, parse_xml
from engine.bpmn.validation import validate
from engine.errors import InvalidMessagePayload
from tests.conftest import FIXTURES, EngineMaker, at, mini_sources, seeded, shipped_sources

ANSWER = {
    "type": "object",
    "properties": {"decision": {"enum": ["approved", "refused"]}},
    "required": ["decision"],
}


def contracts_file(receives: dict[str, Any], sends: dict[str, Any] | None = None) -> SourceFile:
    document = {"receives": {"agency_answer": {"description": "Ответ ведомства", "payload": receives}}}
    if sends is not None:
        document["sends"] = {"agency_request": {"payload": sends}}
    return SourceFile("mini.messages.json", json.dumps(document))


def mini_with_item_definition(structure_ref: str) -> SourceFile:
    """mini.bpmn whose answer names its payload the BPMN 2.0 way: message itemRef -> itemDefinition."""
    text = (FIXTURES / "mini.bpmn").read_text(encoding="utf-8")
    text = text.replace(
        '<bpmn:message id="Message_answer" name="agency_answer"/>',
        f'<bpmn:itemDefinition id="Item_Answer" structureRef="{structure_ref}"/>\n'
        '  <bpmn:message id="Message_answer" name="agency_answer" itemRef="Item_Answer"/>',
    )
    return SourceFile("mini.bpmn", text)


@pytest.fixture
def engine(engines: EngineMaker) -> Iterator[Engine]:
    yield seeded(engines(), [*mini_sources(), contracts_file(ANSWER)])


def awaiting_answer(engine: Engine) -> str:
    number = engine.open_case(
        service="mini_service", office="LPK", channel="window", applicant={"full_name": "А. Б."}, actor="op", at=at()
    ).number
    case = engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(1))
    assert case.awaiting == ["agency_answer"]
    return number


def test_a_payload_outside_the_contract_is_refused_with_the_allowed_values_and_nothing_is_recorded(
    engine: Engine,
) -> None:
    number = awaiting_answer(engine)
    version = engine.get_case(number).version

    with pytest.raises(InvalidMessagePayload) as refused:
        engine.deliver_message(number, "agency_answer", {"decision": "Approved"}, actor="agency", at=at(2))

    assert refused.value.code == "message_payload"
    [problem] = refused.value.problems
    assert problem.field == "payload.decision"
    assert '"approved"' in problem.message and '"refused"' in problem.message
    assert engine.get_case(number).version == version
    case = engine.deliver_message(number, "agency_answer", {"decision": "approved"}, actor="agency", at=at(3))
    assert [t["element"] for t in case.open_tasks] == ["Task_Handout"]


def test_a_message_without_a_contract_still_takes_any_object(engines: EngineMaker) -> None:
    engine = seeded(engines())
    number = awaiting_answer(engine)

    case = engine.deliver_message(number, "agency_answer", {"anything": [1, 2]}, actor="agency", at=at(2))

    assert [t["element"] for t in case.open_tasks] == ["Task_Handout"]
    contract = next(c for c in engine.message_contracts("mini", at()) if c.name == "agency_answer")
    assert (contract.name, contract.declared, dict(contract.schema)) == ("agency_answer", False, {"type": "object"})


def test_the_contract_is_part_of_the_version_and_a_case_keeps_the_one_it_started_with(engines: EngineMaker) -> None:
    engine = seeded(engines(), [*mini_sources(), contracts_file(ANSWER)])
    old_case = awaiting_answer(engine)
    widened = {**ANSWER, "properties": {"decision": {"enum": ["approved", "refused", "postponed"]}}}
    report = engine.deploy([*mini_sources(), contracts_file(widened)], at(5))
    assert report.ok and report.deployed[0].new, "a changed contract is a new version"
    new_case = awaiting_answer(engine)

    with pytest.raises(InvalidMessagePayload):
        engine.deliver_message(old_case, "agency_answer", {"decision": "postponed"}, actor="agency", at=at(10))
    engine.deliver_message(new_case, "agency_answer", {"decision": "postponed"}, actor="agency", at=at(10))
    assert [c.schema for c in engine.awaited_messages(old_case)] == [ANSWER]


def test_a_bundle_keeps_its_contract_files_through_storage_and_without_them_keeps_its_old_hash() -> None:
    [bundle] = validate([*mini_sources(), contracts_file(ANSWER)]).bundles
    [plain] = validate(mini_sources()).bundles

    assert [s.name for s in bundle.messages] == ["mini.messages.json"]
    assert ProcessBundle.from_dict(bundle.to_dict()) == bundle
    assert bundle.version != plain.version
    assert replace(bundle, messages=()).version == plain.version
    assert "messages" not in plain.to_dict()


def test_a_bpmn_item_definition_naming_a_json_schema_file_is_the_message_contract(engines: EngineMaker) -> None:
    schema = SourceFile("agency_answer.schema.json", json.dumps(ANSWER))
    engine = seeded(engines(), [mini_with_item_definition("agency_answer.schema.json"), schema])
    number = awaiting_answer(engine)

    [contract] = engine.awaited_messages(number)

    assert dict(contract.schema) == ANSWER and contract.declared
    with pytest.raises(InvalidMessagePayload):
        engine.deliver_message(number, "agency_answer", {"decision": "yes"}, actor="agency", at=at(2))


def test_sent_messages_are_described_by_their_contract() -> None:
    sends = {"type": "object", "properties": {"total": {"type": "integer"}}, "required": ["total"]}
    [bundle] = validate([*mini_sources(), contracts_file(ANSWER, sends)]).bundles

    found = {(c.name, c.direction): c for c in contracts_of(bundle)}

    assert set(found) == {("agency_answer", RECEIVES), ("agency_request", SENDS)}
    assert dict(found[("agency_request", SENDS)].schema) == sends


@pytest.mark.parametrize(
    ("sources", "reason"),
    [
        ([contracts_file({"type": "nonsense"})], "is not a valid JSON Schema"),
        ([contracts_file({"$ref": "https://example.org/schema.json"})], "points outside the schema"),
        ([contracts_file({"type": "object", "properties": {"x": {"pattern": "(a+)+$"}}})], "exponential"),
        ([SourceFile("mini.messages.json", "{not json")], "is not JSON"),
        (
            [SourceFile("mini.messages.json", json.dumps({"receives": {"agency_request": {"payload": {}}}}))],
            "no event or task of mini.bpmn does",
        ),
        ([SourceFile("mini.messages.json", json.dumps({"receives": {"agency_answer": {}}}))], "needs a 'payload'"),
    ],
)
def test_a_contract_that_cannot_be_used_is_refused_at_deploy(sources: list[SourceFile], reason: str) -> None:
    plan = validate([*mini_sources(), *sources])

    assert not plan.bundles or plan.problems
    assert any(reason in p.message for p in plan.problems), plan.problems


def test_an_item_definition_naming_a_schema_not_deployed_is_refused_at_deploy() -> None:
    plan = validate([mini_with_item_definition("missing.schema.json")])

    assert any("'missing.schema.json', which is not deployed" in p.message for p in plan.problems), plan.problems


# -- the shipped models and their contracts cannot drift --------------------------------------


def shipped_bundles() -> list[ProcessBundle]:
    plan = validate(shipped_sources())
    assert not plan.problems
    return plan.bundles


def values_tested(root: etree._Element, variable: str) -> Iterator[tuple[str, Any]]:
    """(payload key, value) for each ``variable["key"] == value`` a gateway condition or a
    DMN input tests, following a script's plain alias (``result = variable["key"]``)."""
    b = f"{{{BPMN_NS}}}"
    aliases: dict[str, str] = {}
    for script in root.iter(f"{b}script"):
        for node in ast.walk(ast.parse(script.text or "")):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                key = _key_of(node.value, variable)
                if key is not None:
                    aliases[node.targets[0].id] = key
    for condition in root.iter(f"{b}conditionExpression"):
        for node in ast.walk(ast.parse((condition.text or "").strip(), mode="eval")):
            if isinstance(node, ast.Compare) and len(node.comparators) == 1:
                left, right = node.left, node.comparators[0]
                key = _key_of(left, variable)
                if key is None and isinstance(left, ast.Name):
                    key = aliases.get(left.id)
                if key is not None and isinstance(right, ast.Constant):
                    yield key, right.value


def _key_of(node: ast.expr, variable: str) -> str | None:
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == variable
        and isinstance(node.slice, ast.Constant)
    ):
        return str(node.slice.value)
    return None


def caught_messages(root: etree._Element) -> dict[str, str]:
    """Message name -> the variable its catch puts the payload in."""
    b, c = f"{{{BPMN_NS}}}", f"{{{CAMUNDA_NS}}}"
    names = {m.get("id"): str(m.get("name")) for m in root.iter(f"{b}message")}
    found: dict[str, str] = {}
    for definition in root.iter(f"{b}messageEventDefinition"):
        owner = definition.getparent()
        if owner is not None and etree.QName(owner).localname in ("intermediateCatchEvent", "boundaryEvent"):
            name = names[definition.get("messageRef")]
            found[name] = definition.get(f"{c}resultVariable") or name
    return found


def test_every_message_a_shipped_process_catches_has_a_declared_contract() -> None:
    for bundle in shipped_bundles():
        contracts = {c.name: c for c in contracts_of(bundle) if c.direction == RECEIVES}
        for name in caught_messages(parse_xml(bundle.bpmn)):
            assert name in contracts and contracts[name].declared, f"{bundle.process_id} catches {name} without one"
            assert contracts[name].description, f"{bundle.process_id}: {name} has no description"


def test_every_value_a_shipped_gateway_tests_is_allowed_by_the_message_contract() -> None:
    from jsonschema import validators

    checked = 0
    for bundle in shipped_bundles():
        root = parse_xml(bundle.bpmn)
        contracts = {c.name: c for c in compile_bundle(bundle).contracts if c.direction == RECEIVES}
        for name, variable in caught_messages(root).items():
            schema = contracts[name].schema
            for key, value in values_tested(root, variable):
                assert key in schema["properties"], (
                    f"{bundle.process_id}: {variable}[{key!r}] is not in {name}'s contract"
                )
                validator = validators.validator_for(schema)(dict(schema["properties"][key]))
                assert validator.is_valid(value), f"{bundle.process_id}: {name}.{key} == {value!r} is never allowed"
                checked += 1
    # rosreestr: suspended and registered (through the script's alias); МВД: issued and registered; ГИС ГМП: paid
    assert checked >= 5


def test_a_sent_message_without_a_contract_is_described_by_its_payload_expression() -> None:
    [bundle] = validate(mini_sources()).bundles

    found = {(c.name, c.direction): c for c in contracts_of(bundle)}

    sent = found[("agency_request", SENDS)]
    assert not sent.declared
    assert dict(sent.schema) == {"type": "object", "properties": {"total": {}}, "required": ["total"]}


def test_every_message_a_shipped_process_sends_is_declared_with_the_keys_its_model_writes() -> None:
    for bundle in shipped_bundles():
        declared = {c.name: c for c in contracts_of(bundle) if c.direction == SENDS}
        shown = {c.name: c for c in contracts_of(replace(bundle, messages=())) if c.direction == SENDS}
        assert set(declared) == set(shown)
        for name, contract in declared.items():
            assert contract.declared and contract.description, f"{bundle.process_id} sends {name} undeclared"
            assert set(contract.schema["properties"]) == set(shown[name].schema["properties"]), name
