"""What every use case of the assessments app shares: locking the row,
checking a transition, running it and recording the event."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from assessments import handoffs
from assessments.exceptions import CriterionNotInCatalogue, TransitionRefused
from assessments.models import Assessment, AssessmentEvent
from certification.models import Area, AreaKind, CatalogueVersion, Criterion, FamilienzentrumSite
from certification.selectors import catalogue_structure


def current_catalogue() -> CatalogueVersion | None:
    today = timezone.localdate()
    return CatalogueVersion.objects.filter(valid_from__lte=today).order_by("-valid_from", "-loaded_at").first()


def check_profile_areas(catalogue: CatalogueVersion, profile_areas: list[Area]) -> None:
    chosen = [area for area in profile_areas if not area.always_required]
    if any(area.catalogue_id != catalogue.pk or area.kind != AreaKind.PROFILE for area in profile_areas):
        raise ValidationError(_("Wählen Sie nur Profilbereiche dieser Katalogversion."))
    if not catalogue.min_profile_areas <= len(chosen) <= catalogue.max_profile_areas:
        raise ValidationError(
            _("Wählen Sie zwischen %(min)d und %(max)d Profilbereiche.")
            % {"min": catalogue.min_profile_areas, "max": catalogue.max_profile_areas}
        )


def require_editable(user, assessment: Assessment) -> None:
    if not user.has_perm("assessments.edit_assessment", assessment):
        raise TransitionRefused(_("Sie dürfen diese Selbstbewertung nicht bearbeiten."))
    if not assessment.is_editable:
        raise TransitionRefused(
            _("Die Selbstbewertung ist %(state)s und kann nicht mehr bearbeitet werden.")
            % {"state": assessment.get_state_display()}
        )


def criterion_of(assessment: Assessment, code: str) -> Criterion:
    """The criterion with `code` in the assessment's catalogue version, with
    its area and items (from the process's copy of the catalogue: read-only)."""
    criterion = catalogue_structure(assessment.catalogue).criteria_by_code.get(code)
    if criterion is None:
        raise CriterionNotInCatalogue(code)
    return criterion


def lock_assessment(assessment_id: int) -> Assessment:
    # select_for_update makes a second, simultaneous request wait here until
    # the first commits; it then sees the new state and is refused.
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("familienzentrum__traeger", "catalogue")
        # The sites joined to their links: one read, not one per level.
        .prefetch_related(
            Prefetch("familienzentrum__site_links", queryset=FamilienzentrumSite.objects.select_related("site"))
        )
        .get(pk=assessment_id)
    )


def record_event(assessment, user, action, from_state, to_state, *, note="", submission=None) -> AssessmentEvent:
    return AssessmentEvent.objects.create(
        assessment=assessment,
        actor=user,
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        submission=submission,
    )


def check_transition(assessment: Assessment, name: str, user) -> None:
    method = getattr(assessment, name)
    meta = method._django_fsm
    state = assessment.state
    if not meta.has_transition(state):
        raise TransitionRefused(
            _("Das ist im Status „%(state)s“ nicht möglich.") % {"state": assessment.get_state_display()}
        )
    if not meta.has_transition_perm(assessment, state, user):
        raise TransitionRefused(_("Dazu sind Sie bei dieser Selbstbewertung nicht berechtigt."))


def run_transition(assessment: Assessment, name: str, user, *, note: str = "", submission=None) -> AssessmentEvent:
    from_state = assessment.state
    getattr(assessment, name)()
    try:
        assessment.save()
    except ConcurrentTransition:
        raise TransitionRefused(_("Die Selbstbewertung wurde gerade von jemand anderem geändert.")) from None
    event = record_event(assessment, user, name, from_state, assessment.state, note=note, submission=submission)
    # The messages are rows of this same transaction: they commit with the
    # transition or not at all, and the worker mails them after the commit.
    handoffs.after_transition(event)
    return event


def require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused(_("Bitte geben Sie eine Begründung an."))
    return reason
