"""Every write of the assessments app, one function per use case, by
sub-domain: the centre's cycle, the review, evidence links and partners.

Each transition runs in one transaction: lock the assessment row, check
state, permission and condition, do the work, let the thin @transition
method move the state, save, record the event, and schedule side effects
(messages, reports) for after the commit. Call sites import from here.
"""

from __future__ import annotations

from assessments.exceptions import AnswerConflict, CriterionNotInCatalogue, InvitationInvalid, TransitionRefused
from assessments.services.common import (
    check_profile_areas,
    check_transition,
    criterion_of,
    current_catalogue,
    lock_assessment,
    record_event,
    require_editable,
    require_reason,
    run_transition,
)
from assessments.services.cycle import (
    certified_submission,
    change_profile_areas,
    last_certified_assessment,
    prefill_answers,
    relink_previous_evidence,
    save_answer,
    start_assessment,
    start_recertification,
    submit,
    withdraw,
)
from assessments.services.evidence import (
    link_evidence,
    lock_editable_assessment,
    unlink_evidence,
    upload_for_criterion,
)
from assessments.services.partners import (
    INVITATION_SALT,
    accept_invitation,
    centres_partner_works_with,
    grant_evidence,
    invitation_token,
    invite_partner,
    organisation_name_taken,
    resend_invitation,
    resolve_invitation,
    revoke_grant,
    revoke_invitation,
    upload_as_partner,
)
from assessments.services.review import (
    approve,
    assign_reviewers,
    decline,
    recommend,
    record_site_visit_done,
    reply_to_query,
    request_changes,
    resubmit,
    schedule_site_visit,
    send_back,
    set_verdict,
)

__all__ = [
    "AnswerConflict",
    "CriterionNotInCatalogue",
    "INVITATION_SALT",
    "InvitationInvalid",
    "TransitionRefused",
    "accept_invitation",
    "approve",
    "assign_reviewers",
    "centres_partner_works_with",
    "certified_submission",
    "change_profile_areas",
    "check_profile_areas",
    "check_transition",
    "criterion_of",
    "current_catalogue",
    "decline",
    "grant_evidence",
    "invitation_token",
    "invite_partner",
    "last_certified_assessment",
    "link_evidence",
    "lock_assessment",
    "lock_editable_assessment",
    "organisation_name_taken",
    "prefill_answers",
    "recommend",
    "record_event",
    "record_site_visit_done",
    "relink_previous_evidence",
    "reply_to_query",
    "request_changes",
    "require_editable",
    "require_reason",
    "resend_invitation",
    "resolve_invitation",
    "resubmit",
    "revoke_grant",
    "revoke_invitation",
    "run_transition",
    "save_answer",
    "schedule_site_visit",
    "send_back",
    "set_verdict",
    "start_assessment",
    "start_recertification",
    "submit",
    "unlink_evidence",
    "upload_as_partner",
    "upload_for_criterion",
    "withdraw",
]
