"""The demo centre's year of records (called by seed_demo): Purzelbaum's
offer journal with its gap and its standing register with a qualification
that lapses. Idempotent like seed_demo."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from certification.models import Familienzentrum
from journal.demo import seed_journal
from register.demo import seed_register

DEMO_CENTRE = "Familienzentrum Purzelbaum"
DEMO_LEITUNG = "leitung.purzelbaum@example.org"


class Command(BaseCommand):
    help = _("Legt das Angebotsjournal und das Nachweisregister des Demo-Familienzentrums an.")

    def handle(self, *args, **options):
        familienzentrum = Familienzentrum.objects.filter(name=DEMO_CENTRE).first()
        leitung = User.objects.filter(email=DEMO_LEITUNG).first()
        if familienzentrum is None or leitung is None:
            self.stderr.write(_("Erst seed_demo ausführen: das Demo-Familienzentrum fehlt."))
            return
        today = timezone.localdate()
        with transaction.atomic():
            entries = seed_journal(familienzentrum, leitung, today)
            registered = len(seed_register(familienzentrum, leitung, today))
        if options["verbosity"] >= 1:
            self.stdout.write(_("Angebotsjournal: %(count)d Einträge angelegt.") % {"count": entries})
            self.stdout.write(_("Nachweisregister: %(count)d Einträge angelegt.") % {"count": registered})
