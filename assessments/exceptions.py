"""The domain errors of the assessments app. Each carries a message for the
user; views turn them into a message where the user is looking."""

from __future__ import annotations

from dataclasses import dataclass, field

from assessments.evaluation import Problem
from assessments.models import Answer
from certification.exceptions import ActionRefused


class TransitionRefused(ActionRefused):
    """A transition or change that is not allowed now or not for this user.
    Carries a message for the user and, where useful, the list of what is
    missing."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


class CriterionNotInCatalogue(Exception):
    """A criterion code (or item code) that the pinned catalogue version does not have."""


@dataclass
class AnswerConflict(Exception):
    """The answer changed since the user loaded it; nothing was saved."""

    current: Answer
    submitted: dict = field(default_factory=dict)


class InvitationInvalid(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
