"""Assigning reviewers: one submission at a time, or a selection at once.

Both roads run the same checks (check_assignable, check_reviewers) inside
assign_reviewers; the bulk assignment calls assign_reviewers once per item,
each in its own transaction, so an item is assigned completely (state,
reviewers, event, the reviewers' messages) or not at all, and a refusal of
one item leaves the others standing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from assessments.assignment_selectors import reviewers_with_workload
from assessments.evaluation import reviewer_conflict
from assessments.exceptions import TransitionRefused
from assessments.models import Assessment, AssessmentState
from assessments.selectors import assessments_for_user
from assessments.services.common import check_transition, lock_assessment, run_transition
from certification.selectors import reviewer_pool, users_tied_to_traeger

DECIDED_STATES = [AssessmentState.CERTIFIED, AssessmentState.NOT_CERTIFIED, AssessmentState.WITHDRAWN]
# One page of a queue is far less; a bigger request is a mistake or abuse,
# and every item costs its own transaction and messages.
MAX_BULK_ITEMS = 500


def check_assignable(assessment: Assessment, user) -> None:
    """The assessment may be assigned now, by `user`; else the reason why not."""
    if not user.has_perm("assessments.assign_reviewers", assessment):
        raise TransitionRefused(_("Dazu sind Sie bei dieser Selbstbewertung nicht berechtigt."))
    state = assessment.get_state_display()
    if assessment.state in DECIDED_STATES:
        raise TransitionRefused(_("Die Selbstbewertung ist bereits abgeschlossen (%(state)s).") % {"state": state})
    if assessment.state != AssessmentState.SUBMITTED:
        if assessment.reviewer_id is not None:
            raise TransitionRefused(
                _("Die Begutachtung ist inzwischen vergeben an %(reviewer)s (%(state)s).")
                % {"reviewer": assessment.reviewer.get_full_name(), "state": state}
            )
        raise TransitionRefused(
            _("Der Status hat sich inzwischen geändert (%(state)s); zuweisen lässt sich nur eine eingereichte.")
            % {"state": state}
        )
    check_transition(assessment, "assign", user)


def check_reviewers(assessment: Assessment, reviewer, second_reviewer) -> None:
    """Both named, two people, both in the active pool (the second allowed to
    confirm) and neither tied to the centre's Träger."""
    if reviewer is None or second_reviewer is None:
        raise TransitionRefused(_("Bitte benennen Sie Gutachter:in und Zweitgutachter:in."))
    if reviewer.pk == second_reviewer.pk:
        raise TransitionRefused(_("Gutachter:in und Zweitgutachter:in müssen verschiedene Personen sein."))
    assessment.reviewer = reviewer
    assessment.second_reviewer = second_reviewer
    if reviewer_conflict(assessment):
        raise TransitionRefused(
            _("%(reviewer)s ist mit dem Träger dieses Familienzentrums verbunden und darf nicht begutachten.")
            % {"reviewer": reviewer}
        )
    # The confirming second pair of eyes must be as independent as the first.
    if users_tied_to_traeger(assessment.familienzentrum.traeger_id).filter(user_id=second_reviewer.pk).exists():
        raise TransitionRefused(
            _("%(reviewer)s ist mit dem Träger dieses Familienzentrums verbunden und darf nicht bestätigen.")
            % {"reviewer": second_reviewer}
        )
    if not reviewer_pool().filter(pk=reviewer.pk).exists():
        raise TransitionRefused(
            _("%(reviewer)s gehört nicht zum aktiven Gutachter:innen-Pool.") % {"reviewer": reviewer}
        )
    if not reviewer_pool(confirmers=True).filter(pk=second_reviewer.pk).exists():
        raise TransitionRefused(
            _("%(reviewer)s darf nicht als Zweitgutachter:in bestätigen.") % {"reviewer": second_reviewer}
        )


@transaction.atomic
def assign_reviewers(*, user, assessment_id: int, reviewer, second_reviewer) -> Assessment:
    assessment = lock_assessment(assessment_id)
    check_assignable(assessment, user)
    check_reviewers(assessment, reviewer, second_reviewer)
    assessment.checked_problems = []  # the transition's condition reads it
    # Names, not addresses: the centre sees the timeline too. The reviewers'
    # messages are written by the transition's hand-off (handoffs.after_transition).
    run_transition(assessment, "assign", user, note=f"{reviewer.get_full_name()} / {second_reviewer.get_full_name()}")
    return assessment


@dataclass(frozen=True)
class Refusal:
    """An item of a bulk action that was not done, and why (in German)."""

    assessment_id: int
    name: str
    reason: str


@dataclass
class BulkAssignment:
    assigned: list[Assessment] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def _least_loaded_confirmer(candidates: list, reviewer, tied_ids: set[int]):
    """The independent confirmer with the fewest open confirmations (then
    open reviews, then name): spreads the second pair of eyes evenly."""
    eligible = [user for user in candidates if user.pk != reviewer.pk and user.pk not in tied_ids]
    if not eligible:
        return None
    return min(eligible, key=lambda user: (user.open_confirmations, user.open_reviews, user.full_name, user.email))


def bulk_assign(*, user, assessment_ids, reviewer, second_reviewer=None) -> BulkAssignment:
    """Assign `reviewer` (and `second_reviewer`, or else per item the least
    loaded independent confirmer) to each of `assessment_ids`. Not one
    transaction: each item is locked and assigned in its own, through
    assign_reviewers, so what can be done is done and what cannot is named
    with its reason; a refused item is left exactly as it was. A second,
    identical request finds the items assigned and refuses them: nothing is
    assigned or announced twice."""
    if reviewer is None:
        raise TransitionRefused(_("Bitte wählen Sie eine Gutachter:in."))
    ids = list(dict.fromkeys(assessment_ids))
    if len(ids) > MAX_BULK_ITEMS:
        raise TransitionRefused(
            _("Bitte wählen Sie höchstens %(count)d Selbstbewertungen auf einmal.") % {"count": MAX_BULK_ITEMS}
        )
    # What the user may see, read once: names for the refusals, Träger for the ties.
    visible = {
        pk: (name, traeger_id)
        for pk, name, traeger_id in assessments_for_user(user)
        .filter(pk__in=ids)
        .values_list("pk", "familienzentrum__name", "familienzentrum__traeger_id")
    }
    confirmers = reviewers_with_workload(confirmers=True) if second_reviewer is None else []
    tied_by_traeger: dict[int, set[int]] = {}
    result = BulkAssignment()
    for pk in ids:
        if pk not in visible:
            result.refused.append(Refusal(pk, _("Nr. %(pk)s") % {"pk": pk}, _("nicht gefunden oder nicht sichtbar")))
            continue
        name, traeger_id = visible[pk]
        second = second_reviewer
        if second is None:
            if traeger_id not in tied_by_traeger:
                tied_by_traeger[traeger_id] = set(users_tied_to_traeger(traeger_id).values_list("user_id", flat=True))
            second = _least_loaded_confirmer(confirmers, reviewer, tied_by_traeger[traeger_id])
            if second is None:
                result.refused.append(Refusal(pk, name, _("Keine unabhängige Zweitgutachter:in verfügbar.")))
                continue
        try:
            assessment = assign_reviewers(user=user, assessment_id=pk, reviewer=reviewer, second_reviewer=second)
        except Assessment.DoesNotExist:  # deleted between the read above and the lock
            result.refused.append(Refusal(pk, name, _("nicht gefunden oder nicht sichtbar")))
        except TransitionRefused as refused:
            result.refused.append(Refusal(pk, name, refused.message))
        else:
            result.assigned.append(assessment)
            if second_reviewer is None:
                second.open_confirmations += 1
    return result
