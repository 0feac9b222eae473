"""The texts okno's SMS and e-mail connectors send, and what each needs from its task.

One table serves both the connector (engine.connectors.notifications renders the text
when the job runs) and deploy-time validation (engine.bpmn.validation refuses a task that
names a template okno does not have, or does not pass an input its template names). The
check at deploy exists because the failure at run time is silent until late: the 30-day
demo found the common hand-out process asking for ``result_ready`` without the decision
the template then needed, and every case of fifteen flows failed its SMS and stopped at
«Готово к выдаче».
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping

TEMPLATES = {
    # The decision is named when the process passes one; the common hand-out process
    # (processes/mfc_handout.bpmn) serves every service and has none to pass.
    "result_ready": "МФЦ «Мои Документы»: по заявлению {case} готов результат{decision_note}. "
    "Получите документы в МФЦ; через 30 дней невостребованные документы возвращаются в ведомство.",
    "accepted": "МФЦ «Мои Документы»: документы по заявлению {case} приняты. Следить за делом: портал, инфомат, "
    "телефон 8-800.",
}
CHANNELS = ("sms", "email")  # the built-in connectors that send these texts
_FILLED = frozenset({"case", "decision_note"})  # the connector fills these itself


class TemplateError(ValueError):
    """A template asked for by a name okno has not, or without an input it names."""


def needs(template: str) -> frozenset[str]:
    """The inputs a template names, beyond what the connector fills itself."""
    fields = {name for _, name, _, _ in string.Formatter().parse(TEMPLATES[template]) if name}
    return frozenset(fields - _FILLED)


def render(template: str, case: str, values: Mapping[str, object]) -> str:
    """The text for one case; TemplateError when the template is unknown or an input is missing."""
    if template not in TEMPLATES:
        raise TemplateError(f"unknown notification template {template!r}; templates: {', '.join(sorted(TEMPLATES))}")
    missing = needs(template) - values.keys()
    if missing:
        raise TemplateError(f"template {template!r} needs input {', '.join(sorted(missing))}")
    decision = values.get("decision")
    note = f" ({decision})" if decision else ""
    return TEMPLATES[template].format(**{**values, "case": case, "decision_note": note})


def task_problem(channel: str, inputs: Mapping[str, str]) -> str | None:
    """What is wrong with a task asking the ``channel`` connector for a text, judged from its
    input expressions before any case runs; None when it is fine or decided only at run
    time (a template named by an expression over the case's data)."""
    expression = inputs.get("template")
    if expression is None:
        return f"the {channel} connector needs an input 'template' naming one of: {', '.join(sorted(TEMPLATES))}"
    template = _literal(expression)
    if template is None:
        return None
    if template not in TEMPLATES:
        return f"unknown notification template {template!r}; templates: {', '.join(sorted(TEMPLATES))}"
    missing = needs(template) - inputs.keys()
    if missing:
        return f"template {template!r} needs input {', '.join(sorted(missing))}, which the task does not pass"
    return None


def _literal(expression: str) -> str | None:
    """The text of a constant input (okno keeps a constant as its JSON string), else None."""
    try:
        value = json.loads(expression)
    except ValueError:
        return None
    return value if isinstance(value, str) else None
