"""The generic, append-only log (certification.LogEntry)."""

from __future__ import annotations

import pytest

from certification.models import LogAction, LogEntry, LogEntryImmutable
from certification.selectors import history_by_criterion, history_of
from certification.services import log_action


def test_log_action_records_actor_object_and_data(centre, alice):
    entry = log_action(centre, LogAction.PROFILE_CHANGED, user=alice, familienzentrum=centre, data={"a": 1})
    entry.refresh_from_db()
    assert entry.actor == alice
    assert entry.content_object == centre
    assert entry.familienzentrum == centre
    assert entry.data == {"a": 1}
    assert entry.get_action_display() == "Profil geändert"


def test_system_changes_have_no_actor(centre):
    assert log_action(centre, LogAction.PROFILE_CHANGED, user=None).actor is None


def test_unknown_actions_are_refused(centre, alice):
    with pytest.raises(ValueError):
        log_action(centre, "assessments.something.else", user=alice)
    assert not LogEntry.objects.exists()


def test_the_log_refuses_updates(centre, alice):
    entry = log_action(centre, LogAction.PROFILE_CHANGED, user=alice, data={"after": ["4B"]})
    entry.data = {"after": ["4F"]}
    with pytest.raises(LogEntryImmutable):
        entry.save()
    with pytest.raises(LogEntryImmutable):
        LogEntry.objects.filter(pk=entry.pk).update(data={})
    entry.refresh_from_db()
    assert entry.data == {"after": ["4B"]}


def test_history_is_newest_first_and_scoped_to_the_object(centre, other_centre, alice):
    first = log_action(centre, LogAction.PROFILE_CHANGED, user=alice)
    second = log_action(centre, LogAction.PROFILE_CHANGED, user=alice)
    log_action(other_centre, LogAction.PROFILE_CHANGED, user=alice)
    assert list(history_of(centre)) == [second, first]
    assert history_by_criterion(centre, []) == {}
