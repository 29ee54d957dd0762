"""`manage.py load_catalogue FILE [FILE ...]`: validate catalogue files and
load them side by side as immutable versions."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from certification.catalogue import CatalogueError, read_catalogue_file, write_catalogue


class Command(BaseCommand):
    # argparse needs real strings, not lazy ones; commands are imported after
    # django.setup(), so plain gettext works here.
    help = _(
        "Prüft Kriterienkataloge (YAML) und lädt sie als unveränderliche Versionen. "
        "Ist eine Datei fehlerhaft, wird keine geladen."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="DATEI", help=_("Katalogdatei(en) im YAML-Format"))

    def handle(self, *args, **options):
        # Every file is validated before any is written, so one broken file
        # leaves the database exactly as it was.
        parsed_catalogues = []
        messages: list[str] = []
        for path in options["files"]:
            try:
                parsed_catalogues.append(read_catalogue_file(path))
            except CatalogueError as exc:
                messages.extend(exc.messages)
        if not messages:
            try:
                with transaction.atomic():
                    results = [write_catalogue(parsed) for parsed in parsed_catalogues]
            except CatalogueError as exc:
                messages.extend(exc.messages)
        if messages:
            raise CommandError(
                _("Kein Katalog geladen; %(count)d Fehler:") % {"count": len(messages)} + "\n" + "\n".join(messages)
            )
        for result in results:
            style = self.style.SUCCESS if result.created else self.style.NOTICE
            self.stdout.write(style(result.summary))
