"""Template context every page may use: the assessment states by name, so
templates compare `assessment.state == States.DRAFT`, never a bare string."""

from __future__ import annotations

from assessments.models import AssessmentState


def states(request) -> dict:
    # Django's Choices set do_not_call_in_templates, so `States.DRAFT` resolves.
    return {"States": AssessmentState}
