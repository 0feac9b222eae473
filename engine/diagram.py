"""A case's process drawn as SVG from the model's own diagram (BPMN DI coordinates), with
the path the case took and its current tasks highlighted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.bpmn.sources import BPMN_NS, ProcessBundle, parse_xml

DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
OMGDI_NS = "http://www.omg.org/spec/DD/20100524/DI"
SVG_NS = "http://www.w3.org/2000/svg"

DONE, ACTIVE, IDLE = "#2e7d32", "#e65100", "#607d8b"
FILL = {"done": "#e8f5e9", "active": "#fff3e0", "idle": "#ffffff"}


@dataclass(frozen=True)
class CaseDiagram:
    """A case's process model as deployed and where the case is in it: what a client needs
    to draw it itself (the pages draw it with bpmn-js) with the same marks as the SVG."""

    xml: str  # the process's BPMN file, exactly as deployed (its DI lays the drawing out)
    passed: frozenset[str]  # element ids the case has gone through
    active: frozenset[str]  # element ids the case is at now


@dataclass(frozen=True)
class Shape:
    id: str
    kind: str
    name: str
    x: float
    y: float
    width: float
    height: float


def render_svg(bundle: ProcessBundle, done: set[str], active: set[str], title: str = "") -> str:
    root = parse_xml(bundle.bpmn)
    kinds = {
        node.get("id"): (etree.QName(node).localname, node.get("name") or "")
        for node in root.iter()
        if isinstance(node.tag, str) and node.get("id")
    }
    flows = {
        node.get("id"): (node.get("sourceRef"), node.get("targetRef"))
        for node in root.iter(f"{{{BPMN_NS}}}sequenceFlow")
    }
    shapes: list[Shape] = []
    for node in root.iter(f"{{{DI_NS}}}BPMNShape"):
        element = node.get("bpmnElement") or ""
        bounds = node.find(f"{{{DC_NS}}}Bounds")
        if bounds is None or element not in kinds:
            continue
        kind, name = kinds[element]
        if kind in ("participant", "lane"):
            continue
        shapes.append(Shape(element, kind, name, *(float(bounds.get(a) or 0) for a in ("x", "y", "width", "height"))))
    edges: list[tuple[str, list[tuple[float, float]]]] = []
    for edge in root.iter(f"{{{DI_NS}}}BPMNEdge"):
        points = [(float(p.get("x") or 0), float(p.get("y") or 0)) for p in edge.findall(f"{{{OMGDI_NS}}}waypoint")]
        if points:
            edges.append((edge.get("bpmnElement") or "", points))
    if not shapes:
        return _svg(400, 80, [_text(20, 40, "Диаграмма в модели не задана (нет BPMN DI)", 14, IDLE)])

    # Margins wide enough for the labels drawn under and beside the shapes.
    left = min(s.x for s in shapes) - 90
    top = min(s.y for s in shapes) - 60
    right = max(s.x + s.width for s in shapes) + 90
    bottom = max(s.y + s.height for s in shapes) + 60
    parts: list[Any] = [_arrow_marker()]
    if title:
        parts.append(_text(left + 10, top + 24, title, 16, "#263238", anchor="start", weight="bold"))
    for flow_id, points in edges:
        source, target = flows.get(flow_id, (None, None))
        taken = source in done and (target in done or target in active)
        colour = DONE if taken else "#b0bec5"
        line = _el(
            "polyline",
            {
                "points": " ".join(f"{x},{y}" for x, y in points),
                "fill": "none",
                "stroke": colour,
                "stroke-width": "3" if taken else "1.5",
                "marker-end": "url(#arrow)",
            },
        )
        parts.append(line)
    for drawn in shapes:
        state = "active" if drawn.id in active else "done" if drawn.id in done else "idle"
        parts.extend(_shape(drawn, state))
    return _svg(right - left, bottom - top, parts, viewbox=(left, top, right - left, bottom - top))


def _shape(shape: Shape, state: str) -> list[Any]:
    stroke = {"done": DONE, "active": ACTIVE, "idle": IDLE}[state]
    width = "4" if state == "active" else "2"
    cx, cy = shape.x + shape.width / 2, shape.y + shape.height / 2
    drawn: list[Any] = []
    if shape.kind.endswith("Event"):
        drawn.append(
            _el(
                "circle",
                {
                    "cx": str(cx),
                    "cy": str(cy),
                    "r": str(shape.width / 2),
                    "fill": FILL[state],
                    "stroke": stroke,
                    "stroke-width": "4" if shape.kind == "endEvent" else width,
                },
            )
        )
        drawn.append(_text(cx, shape.y + shape.height + 16, shape.name, 11, "#37474f"))
    elif shape.kind.endswith("Gateway"):
        points = f"{cx},{shape.y} {shape.x + shape.width},{cy} {cx},{shape.y + shape.height} {shape.x},{cy}"
        drawn.append(_el("polygon", {"points": points, "fill": FILL[state], "stroke": stroke, "stroke-width": width}))
        drawn.append(_text(cx, shape.y - 8, shape.name, 11, "#37474f"))
    else:
        drawn.append(
            _el(
                "rect",
                {
                    "x": str(shape.x),
                    "y": str(shape.y),
                    "width": str(shape.width),
                    "height": str(shape.height),
                    "rx": "10",
                    "fill": FILL[state],
                    "stroke": stroke,
                    "stroke-width": width,
                },
            )
        )
        for index, line in enumerate(_wrap(shape.name, 16)[:4]):
            drawn.append(_text(cx, shape.y + 22 + index * 14, line, 11, "#263238"))
    group = _el("g", {"id": shape.id, "data-state": state})
    for item in drawn:
        group.append(item)
    return [group]


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current] if current else lines


def _text(
    x: float, y: float, value: str, size: int, colour: str, anchor: str = "middle", weight: str = "normal"
) -> Any:
    node = _el(
        "text",
        {
            "x": str(x),
            "y": str(y),
            "fill": colour,
            "font-size": str(size),
            "text-anchor": anchor,
            "font-family": "sans-serif",
            "font-weight": weight,
        },
    )
    node.text = value
    return node


def _arrow_marker() -> Any:
    defs = _el("defs", {})
    marker = _el(
        "marker",
        {
            "id": "arrow",
            "viewBox": "0 0 10 10",
            "refX": "10",
            "refY": "5",
            "markerWidth": "10",
            "markerHeight": "10",
            "markerUnits": "userSpaceOnUse",
            "orient": "auto-start-reverse",
        },
    )
    marker.append(_el("path", {"d": "M 0 0 L 10 5 L 0 10 z", "fill": "#78909c"}))
    defs.append(marker)
    return defs


def _el(tag: str, attributes: dict[str, str]) -> Any:
    return etree.Element(tag, attrib=attributes)


def _svg(
    width: float, height: float, parts: list[Any], viewbox: tuple[float, float, float, float] | None = None
) -> str:
    box = viewbox or (0, 0, width, height)
    svg = _el(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": str(round(width)),
            "height": str(round(height)),
            "viewBox": " ".join(str(v) for v in box),
        },
    )
    svg.append(_el("rect", {"x": str(box[0]), "y": str(box[1]), "width": "100%", "height": "100%", "fill": "#ffffff"}))
    for part in parts:
        svg.append(part)
    return str(etree.tostring(svg, encoding="unicode"))
