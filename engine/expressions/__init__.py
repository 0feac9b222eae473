"""okno's expression language: a small, safe subset of Python syntax.

Models are data written by analysts, not trusted code, so nothing here ever calls
``eval`` or ``exec``: text is parsed with :mod:`ast`, checked against a whitelist, and
walked by our own interpreter under a step and size budget.
"""

from engine.expressions.interpreter import Budget, evaluate, execute
from engine.expressions.syntax import FUNCTIONS, check_expression, check_script

__all__ = ["FUNCTIONS", "Budget", "check_expression", "check_script", "evaluate", "execute"]
