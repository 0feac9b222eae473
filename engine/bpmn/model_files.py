"""The files a model is validated and deployed with, found from the paths an analyst names.

A folder brings every model file in it (engine.bpmn.sources.collect_sources). A BPMN file
named by itself (``okno validate processes/*.bpmn``, where the shell's glob leaves the DMN
files out) also brings the files beside it that it needs and that were not named: the DMN
files holding the decisions its business rule tasks call, and the form and message-contract
files (``.form``, ``.json``), which validation reads only where the model names them. So a
model named alone is the same version as the model deployed with its folder, and a DMN file
it does not use is not checked on its behalf.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from engine.bpmn.decisions import decision_call
from engine.bpmn.sources import BPMN_NS, DMN_NAMESPACES, SourceFile, XmlProblem, collect_sources, parse_xml

_READ_WHERE_NAMED = (".form", ".json")  # forms and message contracts: harmless unless a model names them


def collect_models(paths: list[Path]) -> list[SourceFile]:
    """The sources ``paths`` name, and for each BPMN file named directly the files beside
    it that it needs (see the module's docstring)."""
    named = [p for p in paths if not p.is_dir()]
    sources = collect_sources(paths)
    bpmn_files = [p for p in named if p.suffix.lower() == ".bpmn"]
    if not bpmn_files:
        return sources
    taken = {source.name for source in sources}  # a source is known by its file name
    defined = {d for source in sources if source.is_dmn for d in _decisions(source)}
    wanted = {d for source in sources if source.name.lower().endswith(".bpmn") for d in _decision_refs(source)}
    beside: list[SourceFile] = []
    for folder in dict.fromkeys(path.parent for path in bpmn_files):
        for candidate in sorted(folder.iterdir()):
            suffix = candidate.suffix.lower()
            if candidate.name in taken or not candidate.is_file():
                continue
            if suffix in _READ_WHERE_NAMED:
                beside.append(SourceFile.read(candidate))
                taken.add(candidate.name)
            elif suffix == ".dmn" and wanted - defined:
                source = SourceFile.read(candidate)
                found = _decisions(source)
                if found & (wanted - defined):
                    beside.append(source)
                    taken.add(candidate.name)
                    defined |= found
    return sources + beside


def _decision_refs(source: SourceFile) -> set[str]:
    """The decisions a BPMN file's business rule tasks call (none if it does not parse:
    validation reports that)."""
    try:
        root = parse_xml(source)
    except XmlProblem:
        return set()
    calls = (decision_call(task) for task in root.iter(f"{{{BPMN_NS}}}businessRuleTask"))
    return {call.decision_id for call in calls if call is not None}


def _decisions(source: SourceFile) -> set[str]:
    """The ids of the decisions a DMN file holds."""
    try:
        root = parse_xml(source)
    except XmlProblem:
        return set()
    return {
        str(node.get("id"))
        for node in root.iter()
        if isinstance(node.tag, str)
        and etree.QName(node).localname == "decision"
        and etree.QName(node).namespace in DMN_NAMESPACES
        and node.get("id")
    }
