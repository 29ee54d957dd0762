"""The documents, read back with pypdf: their text, header, metadata and shape."""

from __future__ import annotations

import pytest

from reports import services
from reports.models import Report, ReportKind, ReportStatus
from tests.reports.conftest import EVIDENCE, pdf_of, text_of, with_evidence
from tests.unchanged import everything


def build(user, submission, kind) -> Report:
    report = services.request_report(user, submission, kind)
    services.build_report(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.error
    return report


def test_self_assessment_shows_criteria_answers_narrative_and_evidence(submission, alice, settings):
    report = build(alice, submission, ReportKind.SELF_ASSESSMENT)

    reader = pdf_of(report, settings)
    text = text_of(reader)
    for entry in submission.payload["criteria"]:
        assert f"{entry['code']} {entry['title']}" in text
        assert f"So erfüllen wir {entry['code']}." in text
    assert "Hauptaussage" in text and "Unterpunkt" in text and "erfüllt" in text
    # Evidence: name, date and the sha256 prefix.
    assert "Kooperationsvereinbarung" in text
    assert "01.09.2026" in text and "14.10.2033" in text
    assert EVIDENCE[0]["sha256"][:12] in text
    # The threshold results of the summary.
    assert "Basisleistungen" in text and "erreicht" in text
    assert report.download_name.startswith("Selbstbewertung_Familienzentrum-Purzelbaum_")
    assert "Selbsteinschätzung" not in text
    assert report.content_type == "application/pdf"
    assert report.size == len(pdf_bytes(report))


def pdf_bytes(report) -> bytes:
    from django.core.files.storage import storages

    with storages["private"].open(report.file_name, "rb") as handle:
        return handle.read()


def test_running_header_names_centre_catalogue_and_snapshot_on_every_page(submission, alice, settings):
    report = build(alice, submission, ReportKind.SELF_ASSESSMENT)

    reader = pdf_of(report, settings)
    assert len(reader.pages) > 2
    prefix = submission.sha256[:12]
    # The cover has no header; every page after it carries it, and every page its number.
    for number, page in enumerate(reader.pages[1:], start=2):
        text = page.extract_text()
        assert prefix in text, f"page {number}"
        assert "Familienzentrum Purzelbaum" in text
        assert f"Katalog mini {submission.payload['catalogue']['version']}" in text
        assert f"Seite {number} von {len(reader.pages)}" in text


def test_pdf_is_tagged_german_and_titled(submission, alice, settings):
    report = build(alice, submission, ReportKind.SELF_ASSESSMENT)

    reader = pdf_of(report, settings)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "de"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert reader.metadata.title == "Selbstbewertung – Familienzentrum Purzelbaum"
    xmp = reader.xmp_metadata.stream.get_data()
    assert b'pdfuaid:part="1"' in xmp


def test_bundled_font_is_embedded(submission, alice, settings):
    report = build(alice, submission, ReportKind.SELF_ASSESSMENT)

    reader = pdf_of(report, settings)
    fonts = set()
    for page in reader.pages[:2]:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    # The @font-face family name: the bundled files, not a font of the machine.
    assert any("Report-Sans" in font for font in fonts), fonts


def test_evidence_index_lists_documents_per_criterion(submission, alice, settings):
    report = build(alice, submission, ReportKind.EVIDENCE_INDEX)

    text = text_of(pdf_of(report, settings))
    assert "Nachweise je Kriterium" in text
    assert "Fortbildungsnachweis" in text and "fortbildung.pdf" in text
    for entry in submission.payload["criteria"]:
        assert f"{entry['code']} {entry['title']}" in text


def test_evidence_index_without_evidence_says_so(submitted, alice, settings):
    submission = with_evidence(submitted.latest_submission, [])
    report = build(alice, submission, ReportKind.EVIDENCE_INDEX)

    assert "Keine Nachweise verknüpft." in text_of(pdf_of(report, settings))


def test_quality_profile_has_area_results_chart_and_remarks(certified, alice, settings):
    report = build(alice, certified.latest_submission, ReportKind.QUALITY_PROFILE)

    reader = pdf_of(report, settings)
    text = text_of(reader)
    assert "Ergebnis je Bereich" in text
    assert "Gut belegt durch die Elternbefragung." in text
    assert "100 %" in text
    # The remarks were copied when the report was requested.
    assert report.inputs["verdicts"][0]["comment"] == "Gut belegt durch die Elternbefragung."


def test_certificate_is_a4_landscape_with_seal_and_validity(certified, tina, settings):
    report = build(tina, certified.latest_submission, ReportKind.CERTIFICATE)

    reader = pdf_of(report, settings)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)
    assert round(float(box.width) / 72 * 25.4) == 297
    text = text_of(reader)
    seal = certified.seal
    assert seal.number in text
    assert f"gültig vom {seal.valid_from:%d.%m.%Y} bis {seal.valid_until:%d.%m.%Y}" in text
    assert "Familienzentrum Purzelbaum" in text


@pytest.mark.parametrize("kind", [ReportKind.QUALITY_PROFILE, ReportKind.CERTIFICATE])
def test_result_documents_wait_for_the_decision(submission, alice, kind):
    before = everything()
    with pytest.raises(services.ReportNotAvailable):
        services.request_report(alice, submission, kind)
    assert not Report.objects.exists()
    assert everything() == before


def test_user_text_cannot_reach_files_or_network(submitted, alice, settings):
    """A narrative is escaped, and even raw markup could load nothing but our assets."""
    from reports.renderers import AssetFetcher

    payload = submitted.latest_submission.payload
    payload["criteria"][0]["narrative"] = '<img src="file:///etc/passwd"> <b>fett</b>'
    submission = submitted.latest_submission
    type(submission).objects.filter(pk=submission.pk).update(payload=payload)
    submission.refresh_from_db()
    report = build(alice, submission, ReportKind.SELF_ASSESSMENT)
    assert '<img src="file:///etc/passwd"> <b>fett</b>' in text_of(pdf_of(report, settings))

    fetcher = AssetFetcher()
    for url in ["file:///etc/passwd", "http://example.org/x.css", "https://example.org/font.ttf"]:
        with pytest.raises(Exception, match="not allowed"):
            fetcher.fetch(url)


# ---------------------------------------------------------------- reports people can show (issue 11)

QUERY = "Bitte das Verzeichnis von 2026 nachreichen."
REPLY = "Das Verzeichnis 2026 ist hochgeladen."
COVER_NOTE = "Bis auf das Verzeichnis ist alles gut belegt."
ACCEPTED_REMARK = "Die Elternbefragung belegt das Angebot."
RECOMMENDATION = "Ein lebendiges Familienzentrum. Zur Zertifizierung empfohlen."
DECISION = "Bestätigt; Vereinbarkeit weiter ausbauen."


@pytest.fixture
def issuer(settings):
    settings.CERTIFIER_NAME = "Zertifizierungsstelle Testhausen"
    settings.CERTIFIER_ADDRESS = ["Siegelweg 4", "12345 Testhausen"]


@pytest.fixture
def certified_after_query(in_review, alice, rita, olga):
    """A review with every kind of remark: a query (with the cover note of
    the round) answered by the centre, a comment on an acceptance, a
    resubmission, the recommendation's and the decision's notes."""
    from assessments import services as assessment_services
    from assessments.models import Verdict
    from tests.assessments.conftest import later_today

    codes = [entry["code"] for entry in in_review.latest_submission.payload["criteria"]]
    assessment_services.set_verdict(
        user=rita, assessment_id=in_review.pk, criterion_code=codes[0], verdict=Verdict.QUERIED, comment=QUERY
    )
    for code in codes[1:]:
        assessment_services.set_verdict(
            user=rita,
            assessment_id=in_review.pk,
            criterion_code=code,
            verdict=Verdict.ACCEPTED,
            comment=ACCEPTED_REMARK if code == codes[1] else "",
        )
    assessment_services.request_changes(user=rita, assessment_id=in_review.pk, note=COVER_NOTE)
    assessment_services.reply_to_query(user=alice, assessment_id=in_review.pk, criterion_code=codes[0], reply=REPLY)
    assessment_services.resubmit(user=alice, assessment_id=in_review.pk)
    # The query is settled on the new submission without a further word.
    assessment_services.set_verdict(
        user=rita, assessment_id=in_review.pk, criterion_code=codes[0], verdict=Verdict.ACCEPTED, comment=""
    )
    site_ids = [link.site_id for link in in_review.familienzentrum.site_links.all()]
    assessment_services.schedule_site_visit(
        user=rita, assessment_id=in_review.pk, scheduled_for=later_today(), site_ids=site_ids
    )
    assessment_services.record_site_visit_done(user=rita, assessment_id=in_review.pk)
    assessment_services.recommend(user=rita, assessment_id=in_review.pk, note=RECOMMENDATION)
    assessment_services.approve(user=olga, assessment_id=in_review.pk, note=DECISION)
    in_review.refresh_from_db()
    assert in_review.latest_submission.number == 2
    return in_review


def test_quality_profile_shows_every_remark_of_the_review(certified_after_query, alice, issuer, settings):
    report = build(alice, certified_after_query.latest_submission, ReportKind.QUALITY_PROFILE)

    text = " ".join(text_of(pdf_of(report, settings)).split())
    assert "Die Begutachtung hat keine Anmerkungen hinterlassen." not in text
    # The query and the reply live on the first submission, not the one the decision names.
    assert QUERY in text and REPLY in text
    assert ACCEPTED_REMARK in text
    assert "Rückfragen an das Familienzentrum" in text and COVER_NOTE in text
    assert "Empfehlung der Begutachtung" in text and RECOMMENDATION in text
    assert "Rita Gutachterin" in text
    assert "Entscheidung: zertifiziert" in text and DECISION in text
    # The settled query's final verdict follows its history.
    codes = [verdict["code"] for verdict in report.inputs["verdicts"]]
    first = certified_after_query.latest_submission.payload["criteria"][0]["code"]
    assert [(v["verdict"], v["submission"]) for v in report.inputs["verdicts"] if v["code"] == first] == [
        ("queried", 1),
        ("accepted", 2),
    ]
    # The carried-over acceptance is listed once.
    assert len(codes) == 3


def test_quality_profile_names_seal_issuer_and_required_minimums(certified_after_query, alice, issuer, settings):
    report = build(alice, certified_after_query.latest_submission, ReportKind.QUALITY_PROFILE)

    text = " ".join(text_of(pdf_of(report, settings)).split())
    seal = certified_after_query.seal
    assert seal.number in text
    assert f"vom {seal.valid_from:%d.%m.%Y} bis {seal.valid_until:%d.%m.%Y}" in text
    assert "Zertifizierungsstelle Testhausen" in text
    # Achieved / required beside each checked figure: the mini catalogue asks
    # for 2 Basis criteria (3 fulfilled) and 1 point of structure (3 reached).
    assert "Basisleistungen 3 / 2 erfüllt" in text
    assert "Strukturen – – 3 / 1 erfüllt" in text
    assert "erreicht / gefordert" in text
    assert "Annahmen, keine amtlichen Werte" in text


def test_approval_without_a_note_leaves_no_checksum_among_the_remarks(certified, alice, settings):
    """approve() records the submission's checksum when no note was written."""
    report = build(alice, certified.latest_submission, ReportKind.QUALITY_PROFILE)

    assert report.inputs["review_notes"] == []
    assert certified.latest_submission.sha256 not in str(report.inputs["verdicts"])


def test_basis_and_aufbau_thresholds_read_differently():
    """Two rules over the same areas have the same achieved figures; each
    row shows the figure its rule checks against its minimum, and a dash
    where it checks nothing."""
    import re

    from reports.renderers import ReportSource, render_html

    figures = {"basis": 5, "aufbau": 4, "points": 13}
    source = ReportSource(
        kind=ReportKind.SELF_ASSESSMENT,
        payload={
            "number": 1,
            "familienzentrum": {"name": "Familienzentrum Test", "sites": []},
            "catalogue": {"code": "mini", "version": "1"},
            "criteria": [],
            "evaluation": {
                "areas": [],
                "rules": [
                    {"code": "b", "title": "Basisleistungen", "met": True, "missing": [], **figures},
                    {"code": "a", "title": "Aufbauleistungen", "met": False, "missing": ["x"], **figures},
                ],
            },
        },
        sha256="f" * 64,
        inputs={
            "rules": [
                {"code": "b", "min_basis": 4, "min_aufbau": None, "min_points": None},
                {"code": "a", "min_basis": None, "min_aufbau": 6, "min_points": None},
            ]
        },
    )
    html = render_html(source)

    def row(title: str) -> str:
        block = next(part for part in html.split("<tr>") if f">{title}<" in part)
        return " ".join(re.sub(r"<[^>]+>", " ", block.split("</tr>")[0]).split())

    assert row("Basisleistungen") == "Basisleistungen 5 / 4 erfüllt – – erreicht"
    assert row("Aufbauleistungen") == "Aufbauleistungen – 4 / 6 2 fehlen – nicht erreicht"


def test_a_threshold_without_a_public_source_is_marked_as_an_assumption(certified_after_query, alice, settings):
    """The catalogue marks a rule's figures as an assumption; the request
    copies the mark and the Qualitätsprofil says so at that rule only."""
    from certification.models import ThresholdRule

    catalogue = certified_after_query.catalogue
    marked, *others = ThresholdRule.objects.filter(catalogue=catalogue).order_by("order")
    ThresholdRule.objects.filter(pk=marked.pk).update(is_assumption=True)
    report = build(alice, certified_after_query.latest_submission, ReportKind.QUALITY_PROFILE)
    assert [rule["is_assumption"] for rule in report.inputs["rules"]] == [True] + [False] * len(others)

    text = " ".join(text_of(pdf_of(report, settings)).split())
    assert f"{marked.title} (Annahme, ohne öffentliche Quelle)" in text
    assert text.count("(Annahme, ohne öffentliche Quelle)") == 1


def test_certificate_names_the_issuer_and_keeps_checksums_in_its_metadata(certified, tina, issuer, settings):
    report = build(tina, certified.latest_submission, ReportKind.CERTIFICATE)

    reader = pdf_of(report, settings)
    assert len(reader.pages) == 1
    text = " ".join(text_of(reader).split())
    assert "Zertifizierungsstelle Testhausen" in text
    assert "Siegelweg 4" in text and "12345 Testhausen" in text
    from django.utils import timezone

    assert f"{timezone.localdate(certified.seal.issued_at):%d.%m.%Y} ausgestellt am" in text
    # No technical header, no page count, no checksum on the wall.
    sha = certified.latest_submission.sha256
    assert sha[:12] not in text and "SHA-256" not in text
    assert "Seite 1 von 1" not in text
    # The version of the basis reads discreetly in the footer line.
    assert f"Kriterienkatalog mini {certified.latest_submission.payload['catalogue']['version']}" in text
    # The checksum is in the document information instead.
    assert reader.metadata["/submissionsha256"] == sha
    assert reader.metadata["/catalogueversion"] == f"mini {certified.latest_submission.payload['catalogue']['version']}"
    assert sha in reader.metadata.subject
    assert reader.metadata["/Author"] == "Zertifizierungsstelle Testhausen"


def test_issuer_is_frozen_when_the_report_is_requested(certified, tina, issuer, settings):
    report = services.request_report(tina, certified.latest_submission, ReportKind.CERTIFICATE)
    settings.CERTIFIER_NAME = "Eine spätere Stelle"
    services.build_report(report.pk)
    report.refresh_from_db()

    text = text_of(pdf_of(report, settings))
    assert "Zertifizierungsstelle Testhausen" in text and "Eine spätere Stelle" not in text
