"""Who may do what with an assessment: plain predicates over the user's
roles. The state machine's transitions and the views both ask these, so the
rules live in one place. No model imports here (models import this module)."""

from __future__ import annotations

from certification.selectors import roles_for, users_tied_to_traeger


def leads_centre(user, familienzentrum) -> bool:
    """Leitung of one of the centre's sites, or Träger staff granted to act as Leitung."""
    roles = roles_for(user)
    site_ids = {link.site_id for link in familienzentrum.site_links.all()}
    if roles.leitung_site_ids & site_ids:
        return True
    return familienzentrum.traeger_id in roles.acting_traeger_ids


def is_leitung_of(user, assessment) -> bool:
    return leads_centre(user, assessment.familienzentrum)


def is_traeger_of(user, assessment) -> bool:
    return assessment.familienzentrum.traeger_id in roles_for(user).traeger_ids


def is_office(user) -> bool:
    return roles_for(user).is_office


def is_assigned_reviewer(user, assessment) -> bool:
    """The assigned reviewer, while still in the active pool."""
    return user.is_authenticated and assessment.reviewer_id == user.pk and roles_for(user).is_reviewer


def is_second_reviewer(user, assessment) -> bool:
    """The named second reviewer, while still in the pool and allowed to confirm."""
    roles = roles_for(user)
    return (
        user.is_authenticated
        and assessment.second_reviewer_id == user.pk
        and roles.is_reviewer
        and roles.reviewer.may_confirm
    )


def is_tied_to_traeger(user, assessment) -> bool:
    """Staff of the centre's Träger or Leitung of one of its sites: never a judge."""
    return users_tied_to_traeger(assessment.familienzentrum.traeger_id).filter(user_id=user.pk).exists()


def can_view(user, assessment) -> bool:
    return (
        is_office(user)
        or is_leitung_of(user, assessment)
        or is_traeger_of(user, assessment)
        or is_assigned_reviewer(user, assessment)
        or is_second_reviewer(user, assessment)
    )


def can_edit(user, assessment) -> bool:
    return is_leitung_of(user, assessment)


def can_withdraw(user, assessment) -> bool:
    return is_leitung_of(user, assessment) or is_traeger_of(user, assessment)


def can_review(user, assessment) -> bool:
    return is_assigned_reviewer(user, assessment)


def can_confirm(user, assessment) -> bool:
    """The four-eyes check: the named second reviewer or the office, but never
    the person who recommended."""
    if assessment.recommended_by_id is not None and assessment.recommended_by_id == user.pk:
        return False
    if not (is_second_reviewer(user, assessment) or is_office(user)):
        return False
    return not is_tied_to_traeger(user, assessment)


def can_decline(user, assessment) -> bool:
    if not (is_assigned_reviewer(user, assessment) or is_office(user)):
        return False
    return not is_tied_to_traeger(user, assessment)
