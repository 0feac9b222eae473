"""The files a model is validated and deployed with, found from the paths an analyst names.

A folder brings every model file in it (engine.bpmn.sources.collect_sources). A BPMN file
named by itself (``okno validate processes/*.bpmn``, where the shell's glob leaves the DMN
files out) also brings the files beside it that it needs and that were not named: the BPMN
files holding the processes its call activities call (the centre's common processes,
``mfc_*.bpmn``, and theirs in turn), the DMN files holding the decisions its business rule
tasks call, and the form and message-contract files (``.form``, ``.json``), which
validation reads only where the model names them. So a model named alone is the same
version as the model deployed with its folder, and a file it does not use is not checked on
its behalf.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from engine.bpmn.call_activities import CallProblem, called_process
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
    folders = list(dict.fromkeys(path.parent for path in bpmn_files))
    sources = sources + _called_beside(sources, folders, taken)
    defined = {d for source in sources if source.is_dmn for d in _decisions(source)}
    wanted = {d for source in sources if _is_bpmn(source) for d in _decision_refs(source)}
    beside: list[SourceFile] = []
    for folder in folders:
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


def _called_beside(sources: list[SourceFile], folders: list[Path], taken: set[str]) -> list[SourceFile]:
    """The BPMN files beside the named ones that define the processes their call activities
    call, and what those call in turn (``taken`` gains their names)."""
    found: list[SourceFile] = []
    defined = {p for source in sources if _is_bpmn(source) for p in _processes(source)}
    wanted = {p for source in sources if _is_bpmn(source) for p in _call_refs(source)} - defined
    candidates = [
        path
        for folder in folders
        for path in sorted(folder.glob("*.bpmn"))
        if path.is_file() and path.name not in taken
    ]
    while wanted and candidates:
        added = False
        for path in list(candidates):
            source = SourceFile.read(path)
            processes = _processes(source)
            if processes & wanted:
                found.append(source)
                taken.add(path.name)
                candidates.remove(path)
                defined |= processes
                wanted = (wanted | _call_refs(source)) - defined
                added = True
        if not added:
            break
    return found


def _is_bpmn(source: SourceFile) -> bool:
    return source.name.lower().endswith(".bpmn")


def _call_refs(source: SourceFile) -> set[str]:
    """The processes a BPMN file's call activities call (an expression or a broken file
    names none: validation reports those)."""
    try:
        root = parse_xml(source)
    except XmlProblem:
        return set()
    refs: set[str] = set()
    for node in root.iter(f"{{{BPMN_NS}}}callActivity"):
        try:
            refs.add(called_process(node))
        except CallProblem:
            continue
    return refs


def _processes(source: SourceFile) -> set[str]:
    try:
        root = parse_xml(source)
    except XmlProblem:
        return set()
    return {str(node.get("id")) for node in root.iter(f"{{{BPMN_NS}}}process") if node.get("id")}


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
