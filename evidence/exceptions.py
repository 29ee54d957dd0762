"""Errors the document library's services raise, with a message for the user."""

from __future__ import annotations

from certification.exceptions import ActionRefused


class NotAllowed(ActionRefused):
    """The user may not make this change to the library."""
