"""What a citizen says of the service: a rating and complaints, also after the case closed."""

from __future__ import annotations

from dataclasses import dataclass

from engine.commands.command import CaseCommand, CaseFacts, Ruling
from engine.errors import AlreadyRated, FieldProblem, InvalidInput

CRITERIA = ("waiting_time", "staff", "premises", "information")
COMPLAINT_TOPICS = ("waiting_time", "staff", "premises", "information", "term_exceeded", "other")


@dataclass(frozen=True)
class Rate(CaseCommand, kind="rating", event="Rated", closed_ok=True):
    """A citizen's rating of the service received, 1–5 on each criterion; once per case."""

    scores: dict[str, int]

    def decide(self, case: CaseFacts) -> Ruling:
        if case.stored.get("rated"):
            raise AlreadyRated("this case has already been rated")
        # Each criterion is an argument of its own (the API's input.waitingTime): named one by one.
        problems = [FieldProblem(name, "unknown criterion") for name in self.scores if name not in CRITERIA]
        problems += [
            FieldProblem(name, "must be a whole number from 1 to 5")
            for name, score in self.scores.items()
            if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5
        ]
        problems += [FieldProblem(name, "missing") for name in CRITERIA if name not in self.scores]
        if problems:
            problems.sort(key=str)
            raise InvalidInput("the rating does not fit: " + "; ".join(map(str, problems)), problems=problems)
        return Ruling({"rating": {name: self.scores[name] for name in CRITERIA}})


@dataclass(frozen=True)
class Complain(CaseCommand, kind="complaint", event="ComplaintFiled", closed_ok=True):
    topic: str

    def decide(self, case: CaseFacts) -> Ruling:
        if self.topic not in COMPLAINT_TOPICS:
            raise InvalidInput(f"complaint topic {self.topic!r} is not one of {', '.join(COMPLAINT_TOPICS)}")
        return Ruling({"complaint": {"topic": self.topic}})
