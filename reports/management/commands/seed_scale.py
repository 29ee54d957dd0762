"""`python manage.py seed_scale --centres N`: the population of the whole
scheme (about 3,300 Familienzentren) with four years of their cycles, for
load tests, the bench and looking at the lists at full size.

Idempotent: centre i is planned from the seed and i alone and found again
by its certification number (FZ-NRW-00001 ...); a second run adds nothing,
a run with a larger N adds the difference. Every seeded person signs in
with the demo password; reviewers (gutachter.01@scale.example.org ...) and
office staff (buero.1@scale.example.org ...) with the demo authenticator."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reports.scale import seed_population


class Command(BaseCommand):
    help = _("Legt eine Population in Landesgröße an (mehrfach ausführbar, ergänzt nur Fehlendes).")

    def add_arguments(self, parser):
        parser.add_argument("--centres", type=int, default=3300, help=_("Anzahl der Familienzentren"))
        parser.add_argument("--seed", type=int, default=12, help=_("Startwert des Zufallsgenerators"))
        parser.add_argument("--batch", type=int, default=100, help=_("Familienzentren je Transaktion"))

    def handle(self, *args, centres: int, seed: int, batch: int, verbosity: int, **options):
        if centres < 0:
            raise CommandError(_("--centres muss mindestens 0 sein."))
        log = (lambda message: self.stderr.write(f"# {message}")) if verbosity >= 2 else None
        try:
            result = seed_population(centres, seed=seed, batch=batch, log=log)
        except LookupError as error:
            raise CommandError(str(error)) from None
        if verbosity >= 1:
            self.stdout.write(
                _("%(created)d Familienzentren angelegt, %(existing)d waren schon da; %(seconds).1f s.")
                % {"created": result.created, "existing": result.existing, "seconds": result.seconds}
            )
            if verbosity >= 2:
                for label, count in sorted(result.rows.items()):
                    self.stdout.write(f"  {label} {count}")
                self.stdout.write(f"  files {result.files}")
                for phase, seconds in result.phases.most_common():
                    self.stdout.write(f"  {phase} {seconds:.1f} s")
