"""Reception: offices' opening hours, appointments to a window and the electronic queue.

A citizen books a slot at a window in advance (portal, terminal, call centre) or takes a
ticket on arrival; an operator calls the next ticket to a window; the visit ends when the
operator opens the case or records a consultation. Each office's day is one aggregate
(``OfficeDay``), so two bookings of one slot, or two calls of one ticket, meet on its
version and only one of them is recorded.
"""
