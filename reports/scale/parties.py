"""The people and places of the seeded population, written by bulk_create:
the reviewer pool and office staff, Träger with their staff, sites, centres
with their Leitung, and the centres' documents with their files in the
private storage. A part of reports.scale.writer.ScaleWriter."""

from __future__ import annotations

import hashlib
import random
from base64 import b32decode

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.db.models import prefetch_related_objects
from django.utils import timezone

from certification.management.commands.seed_demo import DEMO_TOTP_DEVICE, DEMO_TOTP_SECRET
from certification.models import (
    Einrichtung,
    Familienzentrum,
    FamilienzentrumSite,
    Membership,
    MembershipRole,
    Reviewer,
    Traeger,
)
from certification.services import SiteChoice, validate_site_composition
from evidence.models import Evidence, EvidenceRevision
from reports.scale import plan as scale_plan
from reports.scale.plan import CentrePlan


def evidence_pdf(title: str, owner: str) -> bytes:
    """A small, valid PDF of a few hundred bytes naming the document."""
    text = f"{title} - {owner}".encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 10 Tf 40 800 Td (" + text + b") Tj ET"
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>>>>>>>endobj\n"
        b"4 0 obj<</Length " + str(len(stream)).encode() + b">>stream\n" + stream + b"\nendstream endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


class PartiesWriter:
    """Needs of its host: seed, clock, today, password, count()."""

    def people(self) -> None:
        """The reviewer pool (every third may confirm) and the office staff
        of the seeded population, each with the demo authenticator."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        user_model = get_user_model()
        reviewers = {scale_plan.reviewer_email(k): k for k in range(1, scale_plan.REVIEWERS + 1)}
        office = [scale_plan.office_email(k) for k in range(1, scale_plan.OFFICE_STAFF + 1)]
        have = set(user_model.objects.filter(email__in=[*reviewers, *office]).values_list("email", flat=True))
        created = user_model.objects.bulk_create(
            user_model(
                email=email,
                full_name=scale_plan.person(random.Random(f"scale:{self.seed}:{email}")),
                password=self.password,
                is_staff=email in office,
            )
            for email in [*reviewers, *office]
            if email not in have
        )
        pool = [
            Reviewer(user=user, may_confirm=scale_plan.is_confirmer(reviewers[user.email]))
            for user in created
            if user.email in reviewers
        ]
        Reviewer.objects.bulk_create(pool)
        key = b32decode(DEMO_TOTP_SECRET).hex()
        TOTPDevice.objects.bulk_create(
            TOTPDevice(user=user, name=DEMO_TOTP_DEVICE, key=key, confirmed=True) for user in created
        )
        self.count(user_model, len(created))
        self.count(Reviewer, len(pool))

    # ------------------------------------------------------------ one batch

    def parties(self, centres: list[CentrePlan]) -> None:
        user_model = get_user_model()
        plans = {centre.traeger.name: centre.traeger for centre in centres}
        traeger = {item.name: item for item in Traeger.objects.filter(name__in=list(plans))}
        missing = [plan for name, plan in plans.items() if name not in traeger]
        for item in Traeger.objects.bulk_create(
            Traeger(
                name=plan.name,
                postcode=plan.town.postcode,
                city=plan.town.name,
                email=f"kontakt.{plan.index:04d}@{scale_plan.EMAIL_DOMAIN}",
            )
            for plan in missing
        ):
            traeger[item.name] = item
        self.count(Traeger, len(missing))
        staff = user_model.objects.bulk_create(
            user_model(email=plan.staff_email, full_name=plan.staff_name, password=self.password) for plan in missing
        )
        Membership.objects.bulk_create(
            Membership(
                user=user,
                role=MembershipRole.TRAEGER,
                traeger=traeger[plan.name],
                can_act_as_leitung=plan.staff_acts_as_leitung,
                created_at=timezone.now(),
            )
            for user, plan in zip(staff, missing, strict=True)
        )
        self.count(user_model, len(staff))
        self.count(Membership, len(staff))

        sites = Einrichtung.objects.bulk_create(
            Einrichtung(
                traeger=traeger[centre.traeger.name],
                name=site.name,
                kind=site.kind,
                street=site.street,
                postcode=site.town.postcode,
                city=site.town.name,
                latitude=site.latitude,
                longitude=site.longitude,
            )
            for centre in centres
            for site in centre.sites
        )
        self.count(Einrichtung, len(sites))
        rows = iter(sites)
        for centre in centres:
            centre.site_rows = [next(rows) for _ in centre.sites]
            choices = [
                SiteChoice(row, plan.is_grant_recipient, plan.is_contact_site)
                for row, plan in zip(centre.site_rows, centre.sites, strict=True)
            ]
            # The rules create_familienzentrum checks (sites, grant recipient, 3 km).
            validate_site_composition(
                form=centre.form,
                traeger_id=traeger[centre.traeger.name].pk,
                sites=choices,
                distance_exception=False,
                extra_sites_approved=False,
            )
        founded = [
            Familienzentrum(
                name=centre.name,
                traeger=traeger[centre.traeger.name],
                form=centre.form,
                certification_number=centre.number,
                youth_office=centre.town.youth_office,
                created_at=self.clock.moment((centre.founded - self.today).days, 60),
            )
            for centre in centres
        ]
        Familienzentrum.objects.bulk_create(founded)
        self.count(Familienzentrum, len(founded))
        links = []
        for centre, row in zip(centres, founded, strict=True):
            centre.row = row
            for site, plan in zip(centre.site_rows, centre.sites, strict=True):
                links.append(
                    FamilienzentrumSite(
                        familienzentrum=row,
                        site=site,
                        is_grant_recipient=plan.is_grant_recipient,
                        is_contact_site=plan.is_contact_site,
                    )
                )
        FamilienzentrumSite.objects.bulk_create(links)
        self.count(FamilienzentrumSite, len(links))
        # What build_snapshot and the evaluation read of a centre, without a query each.
        prefetch_related_objects(
            founded, models.Prefetch("site_links", FamilienzentrumSite.objects.select_related("site"))
        )

        leaders = user_model.objects.bulk_create(
            user_model(
                email=site.leitung_email,
                full_name=site.leitung_name,
                password=self.password,
                date_joined=centre.row.created_at,
            )
            for centre in centres
            for site in centre.sites
        )
        Membership.objects.bulk_create(
            Membership(user=user, role=MembershipRole.LEITUNG, site=site, created_at=user.date_joined)
            for user, site in zip(leaders, sites, strict=True)
        )
        self.count(user_model, len(leaders))
        self.count(Membership, len(leaders))
        people = iter(leaders)
        for centre in centres:
            centre.leaders = [next(people) for _ in centre.sites]

    def evidence(self, centres: list[CentrePlan], stored: list[str]) -> dict:
        """Every planned document with its one revision and its file."""
        documents = []
        revisions = []
        for centre in centres:
            rng = random.Random(f"scale:{self.seed}:files:{centre.index}")
            leader = centre.leaders[0]
            for cycle in centre.cycles:
                for doc in cycle.docs:
                    at = self.clock.moment(doc.day, rng.randint(0, 9 * 60))
                    document = Evidence(
                        title=doc.title,
                        kind=doc.kind,
                        owner_familienzentrum=centre.row,
                        effective_date=doc.effective,
                        training_hours=doc.training_hours,
                        created_by=leader,
                        created_at=at,
                    )
                    content = evidence_pdf(doc.title, centre.name)
                    key = f"{rng.getrandbits(128):032x}.pdf"
                    name = default_storage.save(f"evidence/{key}", ContentFile(content))
                    stored.append(name)
                    documents.append((centre.index, doc, document))
                    revisions.append(
                        EvidenceRevision(
                            evidence=document,
                            number=1,
                            storage_key=key,
                            file=name,
                            original_name=doc.filename,
                            content_type="application/pdf",
                            size=len(content),
                            sha256=hashlib.sha256(content).hexdigest(),
                            uploaded_by=leader,
                            uploaded_at=at,
                        )
                    )
        Evidence.objects.bulk_create([document for _, _, document in documents])
        EvidenceRevision.objects.bulk_create(revisions)
        self.count(Evidence, len(documents))
        self.count(EvidenceRevision, len(revisions))
        self.result.files += len(revisions)
        return {(index, id(doc)): document for index, doc, document in documents}
