"""What a process receives and sends, with each message's payload schema: its contract
with the agencies (DESIGN rule 8).

Where a contract comes from, in order:

1. ``<file stem>.messages.json`` beside the model (``property_registration.messages.json``
   for ``property_registration.bpmn``)::

       {"receives": {"rosreestr_decision": {"description": "…", "payload": {JSON Schema}}},
        "sends": {"rosreestr_package": {"payload": {JSON Schema}}}}

2. BPMN 2.0's own way: ``<bpmn:message itemRef="Item_X">`` naming an
   ``<bpmn:itemDefinition id="Item_X" structureRef="decision.schema.json"/>`` whose
   ``structureRef`` is a JSON Schema file deployed with the model (a structureRef that
   names no ``.json`` file — an XSD type, a Java class — says nothing okno can check).

A message the model receives without a declared schema takes any JSON object; one it sends
without one is described by its throws' payload expressions (an object literal's keys). The contract
files are part of the process's bundle (``ProcessBundle.messages``), so its version hash
covers them and a case keeps the contract it started with.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from lxml import etree

from engine.bpmn.json_schemas import data_problems, schema_problem
from engine.bpmn.sources import BPMN_NS, CAMUNDA_NS, ProcessBundle, SourceFile, parse_xml
from engine.errors import InvalidMessagePayload

CONTRACTS_SUFFIX = ".messages.json"
RECEIVES, SENDS = "receives", "sends"
ANY_OBJECT: Mapping[str, Any] = {"type": "object"}

_CATCHING = {"startEvent", "intermediateCatchEvent", "boundaryEvent", "receiveTask"}
_THROWING = {"intermediateThrowEvent", "endEvent", "sendTask"}


class ContractProblem(Exception):
    """A contract that cannot be read; validation refuses the deploy with it."""


@dataclass(frozen=True)
class MessageContract:
    name: str
    direction: str  # RECEIVES or SENDS
    schema: Mapping[str, Any] = field(hash=False)
    description: str | None = None
    declared: bool = True  # False: the model names no schema, any JSON object fits


def contracts_file(bpmn_name: str) -> str:
    return PurePosixPath(bpmn_name).stem + CONTRACTS_SUFFIX


def with_contracts(bundle: ProcessBundle, sources: Iterable[SourceFile]) -> ProcessBundle:
    """The bundle with the contract files of its BPMN files (its own and its callees')."""
    by_name = {source.name: source for source in sources if source.name.lower().endswith(".json")}
    wanted: set[str] = set()
    for bpmn in (bundle.bpmn, *bundle.called):
        wanted.add(contracts_file(bpmn.name))
        wanted.update(_item_schemas(parse_xml(bpmn)).values())
    found = tuple(sorted((by_name[name] for name in wanted if name in by_name), key=lambda s: s.name))
    return replace(bundle, messages=found) if found else bundle


def contracts_of(bundle: ProcessBundle) -> tuple[MessageContract, ...]:
    """Every message the process receives or sends, each with its payload schema.
    Raises ContractProblem for a contract that cannot be used."""
    files = {source.name: source for source in bundle.messages}
    found: dict[tuple[str, str], MessageContract] = {}
    used: dict[tuple[str, str], None] = {}
    sent: dict[str, Mapping[str, Any]] = {}
    for bpmn in (bundle.bpmn, *bundle.called):
        root = parse_xml(bpmn)
        sent.update(_sent_shapes(root))
        only = bundle.process_id if bpmn is bundle.bpmn and bundle.pooled else None
        uses = _uses(root, only)
        used.update(dict.fromkeys(uses))
        declared = files.get(contracts_file(bpmn.name))
        if declared is not None:
            for contract in _read_file(declared):
                if (contract.name, contract.direction) not in uses:
                    raise ContractProblem(
                        f"{declared.name} declares that the process {contract.direction[:-1]}s message "
                        f"{contract.name!r}, but no event or task of {bpmn.name} does"
                    )
                found.setdefault((contract.name, contract.direction), contract)
        for message, schema_name in _item_schemas(root).items():
            source = files.get(schema_name)
            if source is None:
                raise ContractProblem(
                    f"message {message!r}: its itemDefinition names {schema_name!r}, which is not deployed "
                    "with the model: deploy the JSON Schema file beside it"
                )
            schema = _schema(_json(source), source.name)
            for direction in (RECEIVES, SENDS):
                if (message, direction) in uses:
                    found.setdefault((message, direction), MessageContract(message, direction, schema))
    for name, direction in used:
        shape = sent.get(name, ANY_OBJECT) if direction == SENDS else ANY_OBJECT
        found.setdefault((name, direction), MessageContract(name, direction, shape, declared=False))
    return tuple(sorted(found.values(), key=lambda c: (c.direction != RECEIVES, c.name)))


def awaited_contract(contracts: Iterable[MessageContract], name: str) -> MessageContract:
    """The contract of message ``name`` a case receives (any object when none is declared)."""
    for contract in contracts:
        if contract.name == name and contract.direction == RECEIVES:
            return contract
    return MessageContract(name, RECEIVES, ANY_OBJECT, declared=False)


def check_payload(contracts: Iterable[MessageContract], name: str, payload: Mapping[str, Any]) -> None:
    """Refuse a payload that breaks the contract of message ``name`` the case receives."""
    for contract in contracts:
        if contract.name == name and contract.direction == RECEIVES and contract.declared:
            problems = data_problems(contract.schema, dict(payload), "payload")
            if problems:
                raise InvalidMessagePayload(name, problems)
            return


def _uses(root: etree._Element, only: str | None) -> set[tuple[str, str]]:
    """(message name, direction) for each message an event or task of the file's
    processes (or of process ``only``) catches or throws."""
    b = f"{{{BPMN_NS}}}"
    names = {m.get("id"): m.get("name") or m.get("id") for m in root.iter(f"{b}message")}
    uses: set[tuple[str, str]] = set()
    for process in root.iter(f"{b}process"):
        if only is not None and process.get("id") != only:
            continue
        for node in process.iter():
            if not isinstance(node.tag, str):
                continue
            local = etree.QName(node).localname
            if local == "messageEventDefinition":
                owner = node.getparent()
                kind = etree.QName(owner).localname if owner is not None else ""
                ref = node.get("messageRef")
            elif local in ("receiveTask", "sendTask"):
                kind, ref = local, node.get("messageRef")
            else:
                continue
            name = names.get(ref)
            if name and kind in _CATCHING:
                uses.add((str(name), RECEIVES))
            elif name and kind in _THROWING:
                uses.add((str(name), SENDS))
    return uses


def _sent_shapes(root: etree._Element) -> dict[str, Mapping[str, Any]]:
    """For a message sent without a declared contract, what its throws' payload
    expressions show: an object literal's keys (a constant's value too), the keys every
    throw of it writes required. Read as a syntax tree, never evaluated."""
    b = f"{{{BPMN_NS}}}"
    names = {m.get("id"): m.get("name") or m.get("id") for m in root.iter(f"{b}message")}
    keys_of: dict[str, list[dict[str, Any]]] = {}
    for definition in root.iter(f"{b}messageEventDefinition"):
        owner = definition.getparent()
        if owner is None or etree.QName(owner).localname not in _THROWING:
            continue
        literal = _object_literal(definition.get(f"{{{CAMUNDA_NS}}}expression") or "")
        name = names.get(definition.get("messageRef"))
        if name and literal is not None:
            keys_of.setdefault(str(name), []).append(literal)
    shapes: dict[str, Mapping[str, Any]] = {}
    for name, literals in keys_of.items():
        values: dict[str, list[dict[str, Any]]] = {}
        for literal in literals:
            for key, value in literal.items():
                values.setdefault(key, []).append(value)
        properties = {key: _union(shown) for key, shown in values.items()}
        required = sorted(set.intersection(*(set(literal) for literal in literals)))
        shapes[name] = {"type": "object", "properties": properties, "required": required}
    return shapes


def _union(shown: list[dict[str, Any]]) -> dict[str, Any]:
    """Constants the throws write, as one const or an enum; anything computed: any value."""
    if not all("const" in s for s in shown):
        return {}
    constants = list(dict.fromkeys(s["const"] for s in shown))
    return {"const": constants[0]} if len(constants) == 1 else {"enum": constants}


def _object_literal(text: str) -> dict[str, Any] | None:
    """``{"a": a, "kind": "x"}`` as {"a": {}, "kind": {"const": "x"}}; None for anything else."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    if not isinstance(tree, ast.Dict) or not all(
        isinstance(k, ast.Constant) and isinstance(k.value, str) for k in tree.keys
    ):
        return None
    return {
        str(key.value): {"const": value.value} if isinstance(value, ast.Constant) else {}
        for key, value in zip(tree.keys, tree.values, strict=True)
        if isinstance(key, ast.Constant)
    }


def _item_schemas(root: etree._Element) -> dict[str, str]:
    """Message name -> the JSON Schema file its itemDefinition's structureRef names."""
    b = f"{{{BPMN_NS}}}"
    items = {item.get("id"): (item.get("structureRef") or "").strip() for item in root.iter(f"{b}itemDefinition")}
    found: dict[str, str] = {}
    for message in root.iter(f"{b}message"):
        ref = items.get(message.get("itemRef"), "")
        if ref.lower().endswith(".json"):
            found[str(message.get("name") or message.get("id"))] = ref.rsplit("/", 1)[-1]
    return found


def _read_file(source: SourceFile) -> list[MessageContract]:
    document = _json(source)
    if not isinstance(document, dict):
        raise ContractProblem(f"{source.name}: a contracts file is a JSON object with 'receives' and 'sends'")
    unknown = sorted(set(document) - {RECEIVES, SENDS, "$comment"})
    if unknown:
        raise ContractProblem(f"{source.name}: unknown keys {', '.join(unknown)} (expected 'receives', 'sends')")
    contracts: list[MessageContract] = []
    for direction in (RECEIVES, SENDS):
        messages = document.get(direction, {})
        if not isinstance(messages, dict):
            raise ContractProblem(f"{source.name}: '{direction}' maps message names to their contracts")
        for name, entry in messages.items():
            where = f"{source.name}: {direction}.{name}"
            if not isinstance(entry, dict) or "payload" not in entry:
                raise ContractProblem(f"{where} needs a 'payload' JSON Schema")
            description = entry.get("description")
            if description is not None and not isinstance(description, str):
                raise ContractProblem(f"{where}.description is a text")
            contracts.append(MessageContract(name, direction, _schema(entry["payload"], where), description))
    return contracts


def _schema(schema: object, where: str) -> Mapping[str, Any]:
    problem = schema_problem(schema, where)
    if problem is not None:
        raise ContractProblem(problem)
    assert isinstance(schema, dict)
    return schema


def _json(source: SourceFile) -> object:
    try:
        return json.loads(source.text)
    except ValueError as error:
        raise ContractProblem(f"{source.name} is not JSON: {error}") from None
