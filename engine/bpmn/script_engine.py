"""SpiffWorkflow's script engine, with okno's sandboxed language in place of eval/exec.

One is made for each step of a case (engine.bpmn.determinism.CaseWorkflow), holding the
step's time for ``now()``: nothing is shared between cases or engines."""

from __future__ import annotations

from collections import ChainMap
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.errors import ExpressionError
from engine.expressions import check_expression, evaluate, execute


class SandboxEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    def __init__(self, now: datetime | None) -> None:
        super().__init__()
        self.now = now  # the case's time, for now(); None outside a case

    def evaluate(
        self, expression: str | None, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        if expression is None or not expression.strip():
            return None
        return evaluate(expression, ChainMap(external_context or {}, context), now=self.now)

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        if external_context:
            overlay: ChainMap[str, Any] = ChainMap({}, context, external_context)
            execute(script, overlay, now=self.now)
            context.update(overlay.maps[0])
        else:
            execute(script, context, now=self.now)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ExpressionError("service tasks are not supported yet")


class SandboxedScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    def __init__(self, now: datetime | None = None) -> None:
        super().__init__(environment=SandboxEnvironment(now))

    def validate(self, expression: str) -> None:
        # SpiffWorkflow's DMN engine calls validate() and expects SyntaxError for text
        # that is not an expression on its own (a unary test such as "> 5").
        try:
            check_expression(expression)
        except ExpressionError as error:
            raise SyntaxError(str(error)) from None
