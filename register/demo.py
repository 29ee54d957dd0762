"""The demo centre's register (for seed_demo): a long training that does not
expire, an online seminar that counts with its preparation, a two-day course
that lapses before the current review year ends, and one open-ended
cooperation agreement. Written through the services, so the demo passes the
same checks as the Leitung's input."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from certification.models import Familienzentrum, Kooperationspartner, PartnerKind
from register.models import StaffQualification
from register.services import (
    AgreementData,
    QualificationData,
    agreement_add,
    known_criterion_codes,
    qualification_add,
)
from register.validity import SHORT_COURSE_VALID_YEARS, current_review_year, years_after


def _pdf(title: str, line: str) -> SimpleUploadedFile:
    # WeasyPrint makes a real PDF, so the evidence file checks see one.
    from weasyprint import HTML

    content = HTML(string=f"<h1>{title}</h1><p>{line}</p>").write_pdf()
    return SimpleUploadedFile(f"{title}.pdf", content, content_type="application/pdf")


def seed_register(familienzentrum: Familienzentrum, user, today: date) -> list:
    """Add the demo entries unless the centre's register has some already; returns what was added."""
    if StaffQualification.objects.filter(familienzentrum=familienzentrum).exists():
        return []
    known = known_criterion_codes()

    def codes(*wanted):
        return [code for code in wanted if code in known]

    end = current_review_year(today).end
    # Lapses halfway between today and the end of the review year: valid
    # today, not on the year's last day, whatever day the demo is seeded.
    lapses_on = today + timedelta(days=max((end - today).days // 2, 0))
    added = [
        qualification_add(
            user=user,
            familienzentrum=familienzentrum,
            data=QualificationData(
                person="Maria Schmitz",
                role="Erzieherin",
                training="Interkulturelle Öffnung in der Kita",
                provider="Familienbildungsstätte Düren",
                completed_on=years_after(today, -3),
                hours=Decimal("40"),
                days=5,
                criterion_codes=codes("1.2"),
            ),
            upload=_pdf("Teilnahmebescheinigung Interkulturelle Öffnung", "Maria Schmitz, 40 Stunden"),
            today=today,
        ),
        qualification_add(
            user=user,
            familienzentrum=familienzentrum,
            data=QualificationData(
                person="Jonas Becker",
                role="Kinderpfleger",
                training="Beratungsgespräche mit Eltern führen",
                provider="Landesjugendamt",
                completed_on=years_after(lapses_on, -SHORT_COURSE_VALID_YEARS),
                hours=Decimal("14"),
                days=2,
                criterion_codes=codes("1.2"),
            ),
            upload=_pdf("Teilnahmebescheinigung Beratungsgespräche", "Jonas Becker, 2 Tage"),
            today=today,
        ),
        qualification_add(
            user=user,
            familienzentrum=familienzentrum,
            data=QualificationData(
                person="Maria Schmitz",
                role="Erzieherin",
                training="Online-Seminar Bildungs- und Teilhabepaket",
                completed_on=today - timedelta(days=120),
                hours=Decimal("4"),
                online=True,
                preparation_hours=Decimal("2"),
                days=1,
            ),
            today=today,
        ),
    ]
    partner = Kooperationspartner.objects.filter(kind=PartnerKind.COUNSELLING).order_by("pk").first()
    if partner is None:
        partner, _created = Kooperationspartner.objects.get_or_create(
            name="Erziehungsberatungsstelle Jülich", defaults={"kind": PartnerKind.COUNSELLING}
        )
    added.append(
        agreement_add(
            user=user,
            familienzentrum=familienzentrum,
            data=AgreementData(
                partner_id=partner.pk,
                subject="Offene Sprechstunde der Erziehungsberatung im Familienzentrum",
                signed_on=years_after(today, -2),
                signed_by=f"Träger: {familienzentrum.traeger.name}",
                site_ids=[link.site_id for link in familienzentrum.site_links.all()],
                criterion_codes=codes("1.5", "1.4"),
            ),
            upload=_pdf("Kooperationsvereinbarung Erziehungsberatung", partner.name),
            today=today,
        )
    )
    return added
