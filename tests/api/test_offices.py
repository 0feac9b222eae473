"""The network as integrators read it: every office with its kind, windows and information
terminals, so a terminal vendor or a board knows what stands where (issue 19's 204
terminals were a channel with no place in the API)."""

from __future__ import annotations

from collections import Counter

from okno.demo.region import lipetsk_offices
from tests.api.conftest import Server


def test_every_office_is_listed_with_its_windows_and_information_terminals(server: Server) -> None:
    listed = server.run(None, "{ offices { code kind parent windows terminals } }")["offices"]
    network = {o.code: o for o in lipetsk_offices()}
    assert {o["code"] for o in listed} == set(network)
    assert sum(o["terminals"] for o in listed) == sum(o.terminals for o in network.values()) == 204
    for office in listed:
        registered = network[office["code"]]
        assert (office["windows"], office["terminals"]) == (registered.windows, registered.terminals)
    kinds = Counter(o["kind"] for o in listed)
    assert kinds == Counter({"centre": 20, "remote": 144, "terminal": 8})
    # A terminal point has terminals and no windows: citizens book there, they are not received there.
    points = [o for o in listed if o["kind"] == "terminal"]
    assert all(o["windows"] == 0 and o["terminals"] > 0 and o["parent"] for o in points)
