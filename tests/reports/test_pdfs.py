"""The documents, read back with pypdf: their text, header, metadata and shape."""

from __future__ import annotations

import pytest

from reports import services
from reports.models import Report, ReportKind, ReportStatus
from tests.reports.conftest import EVIDENCE, pdf_of, text_of, with_evidence


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
    assert report.download_name.startswith("Selbsteinschaetzung_Familienzentrum-Purzelbaum_")
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
    assert reader.metadata.title == "Selbsteinschätzung – Familienzentrum Purzelbaum"
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
    with pytest.raises(services.ReportNotAvailable):
        services.request_report(alice, submission, kind)
    assert not Report.objects.exists()


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
