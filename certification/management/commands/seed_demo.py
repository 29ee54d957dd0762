"""Demo data for `make run`: one Träger, a single-site Familienzentrum and a
Verbund, a partner organisation, reviewers and office staff.

Idempotent: every row is looked up by its natural key (names, e-mail
addresses) and only created when missing, so running the command twice
changes nothing. Passwords are set on every run so that the documented demo
password always works, even after someone changed it.
"""

from __future__ import annotations

from base64 import b32decode
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from certification.models import (
    CatalogueVersion,
    Einrichtung,
    Familienzentrum,
    FamilienzentrumForm,
    FamilienzentrumSite,
    Kooperationspartner,
    Membership,
    MembershipRole,
    PartnerKind,
    Reviewer,
    SiteKind,
    Traeger,
)
from certification.services import VERBUND_MAX_DISTANCE_KM, SiteChoice, create_familienzentrum, distance_km

DEMO_PASSWORD = "familienzentrum"
# Reviewers and office staff sign in with a second factor (TOTP). The demo
# accounts share this fixed, documented secret (base32, as typed into an
# authenticator app) so that demos and tests can compute the codes.
# Never use it for a real account.
DEMO_TOTP_SECRET = "GUETESIEGELFAMILIENZENTRUMDEMO23"
DEMO_TOTP_DEVICE = "Demo-Authenticator"
TWO_FACTOR_ACCOUNTS = ["gutachterin@example.org", "zweitgutachter@example.org", "office@example.org"]
CATALOGUE_DIR = Path(settings.BASE_DIR) / "certification" / "catalogues"

TRAEGER_NAME = "Kindertagesbetreuung Kreismäuse AöR"
PURZELBAUM_SITE = "Familienzentrum und Integrative Kita „Purzelbaum“"
EIFELZWERGE_SITE = "Kita „Eifelzwerge“"
STRASS_SITE = "Kita „Straßer Wichtel“"
PURZELBAUM_CENTRE = "Familienzentrum Purzelbaum"
EIFELZWERGE_CENTRE = "Familienzentrum Eifelzwerge"
PARTNER_NAME = "Erziehungs- und Familienberatungsstelle Jülich"


@dataclass(frozen=True)
class DemoSite:
    name: str
    postcode: str
    city: str
    latitude: str
    longitude: str


# Coordinates are approximate (village centres), good enough for the 3 km rule.
SITES = [
    DemoSite(PURZELBAUM_SITE, "52428", "Jülich-Broich", "50.905500", "6.371900"),
    DemoSite(EIFELZWERGE_SITE, "52393", "Hürtgenwald-Gey", "50.736600", "6.438300"),
    DemoSite(STRASS_SITE, "52393", "Hürtgenwald-Straß", "50.745100", "6.426200"),
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    is_staff: bool = False
    is_superuser: bool = False


USERS = [
    DemoUser("leitung.purzelbaum@example.org", "Sabine Hoffmann"),
    DemoUser("leitung.eifelzwerge@example.org", "Jana Schmitz"),
    DemoUser("traeger@example.org", "Markus Wagner"),
    DemoUser("partner@example.org", "Claudia Becker"),
    DemoUser("gutachterin@example.org", "Petra Lange"),
    DemoUser("zweitgutachter@example.org", "Thomas Krüger"),
    DemoUser("office@example.org", "Eva Neumann", is_staff=True, is_superuser=True),
]


class Command(BaseCommand):
    help = _("Legt Demodaten an oder bringt sie auf den dokumentierten Stand (mehrfach ausführbar).")

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-catalogue",
            action="store_true",
            help=_("Den mitgelieferten Katalog nicht laden, auch wenn noch keiner geladen ist."),
        )
        parser.add_argument(
            "--no-records",
            action="store_true",
            help=_("Kein Angebotsjournal und kein Nachweisregister für das Demo-Familienzentrum anlegen."),
        )

    def handle(self, *args, **options):
        if not options["no_catalogue"]:
            self._load_catalogue_if_missing()
        with transaction.atomic():
            traeger = self._traeger()
            sites = {demo.name: self._site(traeger, demo) for demo in SITES}
            self._check_verbund_distance(sites[EIFELZWERGE_SITE], sites[STRASS_SITE])
            self._familienzentrum(
                name=PURZELBAUM_CENTRE,
                traeger=traeger,
                form=FamilienzentrumForm.SINGLE,
                sites=[SiteChoice(sites[PURZELBAUM_SITE], is_grant_recipient=True, is_contact_site=True)],
                youth_office="Jugendamt der Stadt Jülich",
            )
            self._familienzentrum(
                name=EIFELZWERGE_CENTRE,
                traeger=traeger,
                form=FamilienzentrumForm.VERBUND,
                sites=[
                    SiteChoice(sites[EIFELZWERGE_SITE], is_grant_recipient=True, is_contact_site=True),
                    SiteChoice(sites[STRASS_SITE]),
                ],
                youth_office="Jugendamt des Kreises Düren",
            )
            partner, _created = Kooperationspartner.objects.update_or_create(
                name=PARTNER_NAME,
                defaults={"kind": PartnerKind.COUNSELLING, "postcode": "52428", "city": "Jülich"},
            )
            users = {demo.email: self._user(demo) for demo in USERS}
            self._membership(
                users["leitung.purzelbaum@example.org"], MembershipRole.LEITUNG, site=sites[PURZELBAUM_SITE]
            )
            self._membership(
                users["leitung.eifelzwerge@example.org"], MembershipRole.LEITUNG, site=sites[EIFELZWERGE_SITE]
            )
            self._membership(users["traeger@example.org"], MembershipRole.TRAEGER, traeger=traeger)
            self._membership(users["partner@example.org"], MembershipRole.PARTNER, partner=partner)
            self._reviewer(users["gutachterin@example.org"], may_confirm=False)
            self._reviewer(users["zweitgutachter@example.org"], may_confirm=True)
            for email in TWO_FACTOR_ACCOUNTS:
                self._totp_device(users[email])
        # The demo centre's year of records lives in a higher app (the
        # journal), reached by its command's name so this app imports nothing above it.
        if not options["no_records"] and "seed_demo_journal" in get_commands():
            call_command("seed_demo_journal", verbosity=options["verbosity"], stdout=self.stdout, stderr=self.stderr)

        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(_("Demodaten sind angelegt.")))
            self.stdout.write(_("Anmeldung mit dem Passwort „%(password)s“ für:") % {"password": DEMO_PASSWORD})
            for demo in USERS:
                self.stdout.write(f"  {demo.email}")
            self.stdout.write(
                _("Zwei-Faktor-Anmeldung für %(accounts)s: TOTP-Schlüssel %(secret)s")
                % {"accounts": ", ".join(TWO_FACTOR_ACCOUNTS), "secret": DEMO_TOTP_SECRET}
            )

    # -- catalogue -----------------------------------------------------------

    def _load_catalogue_if_missing(self) -> None:
        # `make run` loads the catalogue itself; this only helps someone who
        # runs seed_demo alone on a fresh database.
        if CatalogueVersion.objects.exists() or "load_catalogue" not in get_commands():
            return
        files = sorted(CATALOGUE_DIR.glob("*.yaml"))
        if files:
            call_command("load_catalogue", *[str(path) for path in files], stdout=self.stdout, stderr=self.stderr)

    # -- parties -------------------------------------------------------------

    def _traeger(self) -> Traeger:
        traeger, _created = Traeger.objects.update_or_create(
            name=TRAEGER_NAME, defaults={"postcode": "52351", "city": "Düren"}
        )
        return traeger

    def _site(self, traeger: Traeger, demo: DemoSite) -> Einrichtung:
        site, _created = Einrichtung.objects.update_or_create(
            traeger=traeger,
            name=demo.name,
            defaults={
                "kind": SiteKind.KITA,
                "postcode": demo.postcode,
                "city": demo.city,
                "latitude": Decimal(demo.latitude),
                "longitude": Decimal(demo.longitude),
            },
        )
        return site

    def _check_verbund_distance(self, first: Einrichtung, second: Einrichtung) -> None:
        km = distance_km(first.latitude, first.longitude, second.latitude, second.longitude)
        if km > VERBUND_MAX_DISTANCE_KM:  # a guard against a typo in the coordinates above
            raise CommandError(_("Die Demo-Standorte liegen %(km).1f km auseinander, erlaubt sind 3 km.") % {"km": km})

    def _familienzentrum(
        self, *, name: str, traeger: Traeger, form: str, sites: list[SiteChoice], youth_office: str
    ) -> Familienzentrum:
        # A site belongs to at most one Familienzentrum, so the grant
        # recipient's link is the natural key of the centre.
        grant_site = next(choice.site for choice in sites if choice.is_grant_recipient)
        link = FamilienzentrumSite.objects.filter(site=grant_site).select_related("familienzentrum").first()
        if link is not None:
            return link.familienzentrum
        # Created through the service so that the Verbund rules (sites,
        # grant recipient, 3 km) are checked exactly as for real data.
        return create_familienzentrum(
            name=name, traeger_id=traeger.pk, form=form, sites=sites, youth_office=youth_office
        )

    # -- people --------------------------------------------------------------

    def _user(self, demo: DemoUser):
        user_model = get_user_model()
        user = user_model.objects.filter(email=demo.email).first() or user_model(email=demo.email)
        user.full_name = demo.full_name
        user.is_active = True
        user.is_staff = demo.is_staff
        user.is_superuser = demo.is_superuser
        if not user.has_usable_password() or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.save()
        return user

    def _membership(self, user, role: str, *, site=None, traeger=None, partner=None) -> Membership:
        membership, _created = Membership.objects.update_or_create(
            user=user,
            role=role,
            site=site,
            traeger=traeger,
            partner=partner,
            defaults={"can_act_as_leitung": False},
        )
        return membership

    def _reviewer(self, user, *, may_confirm: bool) -> Reviewer:
        reviewer, _created = Reviewer.objects.update_or_create(
            user=user, defaults={"is_active": True, "may_confirm": may_confirm}
        )
        return reviewer

    def _totp_device(self, user):
        """The one confirmed authenticator of a demo account, with the
        documented secret; other devices of the account are removed."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.filter(user=user).exclude(name=DEMO_TOTP_DEVICE).delete()
        device, _created = TOTPDevice.objects.update_or_create(
            user=user,
            name=DEMO_TOTP_DEVICE,
            defaults={"key": b32decode(DEMO_TOTP_SECRET).hex(), "confirmed": True, "drift": 0},
        )
        return device
