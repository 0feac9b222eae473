"""The office ranking's formula is published with its constants, so a page explains a
score with the weights the server used: recomputing a score from the published formula and
an office's published figures gives the ranking's own score."""

from __future__ import annotations

import pytest
from gql.transport.exceptions import TransportQueryError

from tests.api.conftest import Server

FORMULA = """{ rankingFormula { onTimeWeight ratingWeight complaintsWeight waitingWeight
  priorWeight complaintRateFloor waitCapMinutes bookedWaitCapMinutes } }"""
RANKING = """{ officeRanking(since: "2026-11-01", until: "2026-11-30") { office score onTimeShare rating visits } }"""


def test_the_ranking_formula_is_published_and_gives_the_rankings_scores(server: Server) -> None:
    formula = server.run("analyst", FORMULA)["rankingFormula"]
    assert formula == {
        "onTimeWeight": 0.4,
        "ratingWeight": 0.25,
        "complaintsWeight": 0.15,
        "waitingWeight": 0.2,
        "priorWeight": 20,
        "complaintRateFloor": 0.1,
        "waitCapMinutes": 15,
        "bookedWaitCapMinutes": 5,
    }
    assert sum(formula[k] for k in ("onTimeWeight", "ratingWeight", "complaintsWeight", "waitingWeight")) == 1.0
    # A month with no cases, ratings or visits: every office is the region's prior (on time
    # 1, rating 3, no complaints, waiting 1), so the formula alone gives each score.
    prior = 100 * (
        formula["onTimeWeight"] * 1
        + formula["ratingWeight"] * (3 - 1) / 4
        + formula["complaintsWeight"] * 1
        + formula["waitingWeight"] * 1
    )
    ranking = server.run("supervisor", RANKING, office="LPK")["officeRanking"]
    assert ranking and {row["score"] for row in ranking} == {round(prior, 2)}


def test_the_formula_is_for_those_who_see_the_ranking(server: Server) -> None:
    with pytest.raises(TransportQueryError, match="may not"):
        server.run("operator", FORMULA, office="LPK")
