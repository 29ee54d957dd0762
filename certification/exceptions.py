"""The one kind of refusal every app's services raise: an action not allowed
now, or not for this user. It carries a message for the user; each app
refines it (assessments.exceptions.TransitionRefused adds what is missing)."""

from __future__ import annotations


class ActionRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
