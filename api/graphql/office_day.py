"""An office's today, by its own time zone: a queue is a local day's, and a task or a case
is overdue there from its midnight (the dashboard, the work list, deadlines, the queue)."""

from __future__ import annotations

from datetime import date

import strawberry

from api.context import Context
from projections.reception import office_today


def office_today_now(info: strawberry.Info[Context, None], office: str) -> date:
    services = info.context.services
    return office_today(services.reader, office, services.clock())
