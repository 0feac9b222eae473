"""What the server writes to its log about a GraphQL error, kept small whatever was sent.

strawberry logs every error it meets with the whole message and a traceback: a refusal
anyone can provoke without a token (a missing token, another office, a 2 MiB argument
echoed in "no case …") became ~30 lines and megabytes, so logs could be flooded from
outside. Here an expected refusal — okno's own typed errors and GraphQL's (a bad query, a
variable of the wrong type) — is one short line at INFO; only a bug logs a traceback, at
ERROR, and every message is an excerpt of bounded length with control characters escaped
(a newline in input cannot forge a log line).
"""

from __future__ import annotations

import logging
import traceback

from graphql import GraphQLError

from engine.errors import OknoError

LOG = logging.getLogger("okno.api")
EXCERPT = 160  # characters of a message kept in a log line
FRAMES = 12  # innermost frames of a bug's traceback


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """At most ``limit`` characters of ``text``, printable, saying how long it was."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:limit])
    return shown if len(text) <= limit else f"{shown}… ({len(text):,} characters)"


def is_expected(error: GraphQLError) -> bool:
    """A refusal the API meant to give (the caller's mistake), not a bug of ours."""
    original = error.original_error
    return original is None or isinstance(original, (OknoError, GraphQLError))


def _where(error: GraphQLError) -> str:
    return excerpt(".".join(str(p) for p in error.path), 80) if error.path else "request"


def log_error(error: GraphQLError) -> None:
    original = error.original_error
    if is_expected(error):
        code = getattr(original, "code", "graphql")
        LOG.info("refused %s (%s): %s", _where(error), code, excerpt(str(original or error.message)))
        return
    assert original is not None
    frames = "".join(traceback.format_tb(original.__traceback__, limit=-FRAMES))
    LOG.error(
        "internal error in %s: %s: %s\nTraceback (innermost %d frames):\n%s",
        _where(error),
        type(original).__name__,
        excerpt(str(original)),
        FRAMES,
        frames.rstrip(),
    )


def log_withheld(error: OknoError) -> None:
    """A refusal whose client message leaves out what the model said (a ProcessFailure
    answered in a mutation's union, never a GraphQL error): its whole text, for the analyst."""
    LOG.warning("refused (%s), told the client %r: %s", error.code, error.public_message(), excerpt(str(error), 1_000))
