"""Who may read and keep a Familienzentrum's offer journal. Partners add
entries only through their invitation (the assessments app checks it and
passes the criteria they serve to journal.services.record_entry)."""

from __future__ import annotations

import rules
from django.http import Http404
from django.shortcuts import get_object_or_404

from certification.models import Familienzentrum
from certification.rules import leads_centre, may_read_familienzentrum
from journal.models import JournalEntry

rules.add_perm("journal.read_journal", may_read_familienzentrum | leads_centre)
rules.add_perm("journal.keep_journal", leads_centre)


def get_centre_for_journal(user, pk: int, perm: str = "journal.read_journal") -> Familienzentrum:
    """The Familienzentrum whose journal the user holds `perm` on; 404 for everyone else."""
    familienzentrum = get_object_or_404(Familienzentrum.objects.prefetch_related("site_links"), pk=pk)
    if not user.has_perm(perm, familienzentrum):
        raise Http404
    return familienzentrum


def get_entry_for_user(user, pk: int, perm: str = "journal.read_journal") -> JournalEntry:
    """An entry of a journal the user holds `perm` on; 404 for everyone else."""
    entry = get_object_or_404(
        JournalEntry.objects.select_related("familienzentrum").prefetch_related("familienzentrum__site_links"), pk=pk
    )
    if not user.has_perm(perm, entry.familienzentrum):
        raise Http404
    return entry
