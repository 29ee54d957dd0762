"""The one place where reports react to the assessment's state machine.

django-fsm sends post_transition from inside the transition method, before
the service saves the new state; the receiver therefore only schedules the
request for after the commit, when the submission and the seal it reads are
there for every process to see. A transition that rolls back requests nothing.
"""

from __future__ import annotations

from django.db import transaction

from reports.models import ReportKind

# Transition name -> the reports it brings about.
REPORTS_AFTER_TRANSITION: dict[str, tuple[str, ...]] = {
    "submit": (ReportKind.SELF_ASSESSMENT,),
    "resubmit": (ReportKind.SELF_ASSESSMENT,),
    "approve": (ReportKind.CERTIFICATE, ReportKind.QUALITY_PROFILE),
}


def request_reports_on_transition(sender, instance, name, target, **kwargs) -> None:
    kinds = REPORTS_AFTER_TRANSITION.get(name)
    if not kinds or kwargs.get("exception") is not None:
        return
    assessment_id = instance.pk

    def request_after_commit() -> None:
        from reports.services import request_reports_after_transition

        request_reports_after_transition(assessment_id, list(kinds))

    # robust: the transition has committed; a failure here is logged and
    # must not turn the user's successful submission into an error page.
    transaction.on_commit(request_after_commit, robust=True)
