"""BPMN and DMN sources, their safe XML parsing, and process versions as content hashes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
)

# Untrusted XML: no entity expansion, no network, no DTD loading (XXE, billion laughs).
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


@dataclass(frozen=True)
class SourceFile:
    """One BPMN or DMN file as deployed: its name (for messages) and its exact text."""

    name: str
    text: str

    @property
    def is_dmn(self) -> bool:
        return self.name.lower().endswith(".dmn")

    @classmethod
    def read(cls, path: Path) -> SourceFile:
        return cls(path.name, path.read_text(encoding="utf-8"))


class XmlProblem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def parse_xml(source: SourceFile) -> etree._Element:
    try:
        root = etree.fromstring(source.text.encode("utf-8"), parser=_XML_PARSER)
    except etree.XMLSyntaxError as error:
        raise XmlProblem(error.lineno or 1, f"not well-formed XML: {error.msg}") from None
    if root is None:
        raise XmlProblem(1, "empty document")
    return root


@dataclass(frozen=True)
class ProcessBundle:
    """One executable process: its BPMN file, the DMN files its rules reference and the
    other BPMN files holding the processes its call activities call (engine.bpmn.call_activities).

    The version is the SHA-256 of exactly this content, so identical content deployed
    twice is one version, and a changed byte is a new one; a called file is part of it,
    so a case runs the callee it started with. A file with several executable pools
    (``pooled``) is several processes: each one's version also hashes its process id, so
    the pools are distinct versions of one file (a file with one pool hashes as it
    always has).
    """

    process_id: str
    bpmn: SourceFile
    dmn: tuple[SourceFile, ...]
    pooled: bool = False
    called: tuple[SourceFile, ...] = ()
    # The form files (Camunda Forms .form, JSON Schema .json) its user tasks name. Last,
    # and left out of the hash and the stored form when empty, so every version deployed
    # before forms were read keeps its hash and its bytes.
    forms: tuple[SourceFile, ...] = ()
    # The message contract files (engine.bpmn.message_contracts): last, and likewise left
    # out of the hash and the stored form when empty.
    messages: tuple[SourceFile, ...] = ()

    @property
    def version(self) -> str:
        digest = hashlib.sha256()
        if self.pooled:
            digest.update(b"pool\0" + self.process_id.encode("utf-8") + b"\0")
        for source in (self.bpmn, *sorted(self.dmn, key=lambda s: s.name)):
            digest.update(source.name.encode("utf-8") + b"\0")
            digest.update(source.text.encode("utf-8") + b"\0")
        if self.called:  # only then: a bundle without called files keeps the hash it always had
            digest.update(b"called\0")
            for source in sorted(self.called, key=lambda s: s.name):
                digest.update(source.name.encode("utf-8") + b"\0")
                digest.update(source.text.encode("utf-8") + b"\0")
        if self.forms:  # likewise: a bundle without forms keeps its hash
            digest.update(b"forms\0")
            for source in sorted(self.forms, key=lambda s: s.name):
                digest.update(source.name.encode("utf-8") + b"\0")
                digest.update(source.text.encode("utf-8") + b"\0")
        if self.messages:  # likewise: a bundle without contracts keeps its hash
            digest.update(b"messages\0")
            for source in sorted(self.messages, key=lambda s: s.name):
                digest.update(source.name.encode("utf-8") + b"\0")
                digest.update(source.text.encode("utf-8") + b"\0")
        return digest.hexdigest()

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "process_id": self.process_id,
            "bpmn": {"name": self.bpmn.name, "text": self.bpmn.text},
            "dmn": [{"name": s.name, "text": s.text} for s in self.dmn],
        }
        if self.pooled:  # only then: a stored one-pool bundle stays as it was written
            data["pooled"] = True
        if self.called:  # absent when empty, so stored bundles without it read the same
            data["called"] = [{"name": s.name, "text": s.text} for s in self.called]
        if self.forms:
            data["forms"] = [{"name": s.name, "text": s.text} for s in self.forms]
        if self.messages:
            data["messages"] = [{"name": s.name, "text": s.text} for s in self.messages]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ProcessBundle:
        bpmn = data["bpmn"]
        dmn = data["dmn"]
        called = data.get("called", [])
        forms = data.get("forms", [])
        messages = data.get("messages", [])
        assert isinstance(bpmn, dict) and isinstance(dmn, list)
        assert isinstance(called, list) and isinstance(forms, list) and isinstance(messages, list)
        return cls(
            process_id=str(data["process_id"]),
            bpmn=SourceFile(bpmn["name"], bpmn["text"]),
            dmn=tuple(SourceFile(d["name"], d["text"]) for d in dmn),
            pooled=bool(data.get("pooled", False)),
            called=tuple(SourceFile(c["name"], c["text"]) for c in called),
            forms=tuple(SourceFile(f["name"], f["text"]) for f in forms),
            messages=tuple(SourceFile(m["name"], m["text"]) for m in messages),
        )


def collect_sources(paths: list[Path]) -> list[SourceFile]:
    """Files named directly, and the models inside folders named: .bpmn/.dmn files, and
    the .form/.json form files their user tasks may name."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in (".bpmn", ".dmn", ".form", ".json")))
        else:
            files.append(path)
    return [SourceFile.read(path) for path in files]
