"""Uploads with active or deceptive content are refused with the reason;
every ordinary document a centre makes is still accepted; and each
decision runs in bounded memory for a file at the upload limit."""

from __future__ import annotations

import io
import struct
import tempfile
import time
import tracemalloc
import zipfile

import pytest
from django.core.exceptions import ValidationError

from evidence import inspect
from evidence.files import UploadRejected, check_files, detect_type
from tests.assessments.files import upload
from tests.evidence import corpus

MB = 1024 * 1024


@pytest.mark.parametrize("name", sorted(corpus.ACCEPTED))
def test_ordinary_documents_are_accepted(name):
    make, content_type = corpus.ACCEPTED[name]
    assert detect_type(io.BytesIO(make())).content_type == content_type


@pytest.mark.parametrize("make", [corpus.jpeg_bytes, corpus.phone_photo_bytes])
def test_the_jpeg_walk_reaches_the_real_end_past_the_exif_thumbnail(make):
    data = make()
    assert inspect._jpeg_end(io.BytesIO(data), 0) == (len(data), True)


def test_the_png_walk_reaches_iend():
    data = corpus.png_bytes()
    assert inspect._png_end(io.BytesIO(data)) == (len(data), True)


# --- attack files -------------------------------------------------------------

PDF_ACTIVE = "PDF mit eingebetteten Skripten"
PDF_APPENDED = "PDF mit angehängten Daten"
IMAGE_APPENDED = "Bild mit angehängten Daten"
IMAGE_MARKUP = "Bild mit HTML- oder Skriptinhalt"
MACROS = "Office-Datei mit Makros"
BOMB = "Archiv, das beim Entpacken zu groß würde"
TEXT_MARKUP = "Textdatei mit HTML- oder Skriptinhalt"

HTML = b"<html><body><script>fetch('/admin')</script></body></html>\n"


def zip_of(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.js", data)
    return buffer.getvalue()


def pdf_with_js_hidden_by_a_lying_length() -> bytes:
    # /Length claims far more than there is: a reader finds "endstream"
    # early and then reads the object that the /Length seemed to cover.
    objects = [
        b"<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>",
        b"<</Type/Pages/Kids[]/Count 0>>",
        b"<</Length 99999>>\nstream\nBT ET\nendstream",
    ]
    pdf = corpus._pdf(objects)
    return pdf.replace(
        b"endstream\nendobj\n", b"endstream\nendobj\n4 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj\n", 1
    )


def png_with_chunk(kind: bytes, data: bytes) -> bytes:
    png = corpus.png_bytes()
    chunk = struct.pack(">I", len(data)) + kind + data + b"\x00\x00\x00\x00"
    return png[:33] + chunk + png[33:]


def jpeg_with_comment(text: bytes) -> bytes:
    jpeg = corpus.jpeg_bytes()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text + jpeg[2:]


def docx_with_vba() -> bytes:
    return corpus.docx_bytes(
        main_type="application/vnd.ms-word.document.macroEnabled.main+xml",
        extra=[("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)],
        extra_rels=[("rId9", "http://schemas.microsoft.com/office/2006/relationships/vbaProject", "vbaProject.bin")],
        extra_defaults={"bin": "application/vnd.ms-office.vbaProject"},
    )


def docx_with_renamed_vba() -> bytes:
    # The macro part renamed, but still referenced as vbaProject in the rels.
    return corpus.docx_bytes(
        extra=[("word/daten.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)],
        extra_rels=[("rId9", "http://schemas.microsoft.com/office/2006/relationships/vbaProject", "daten.bin")],
    )


def docx_with_vba_content_type_only() -> bytes:
    return corpus.docx_bytes(
        extra=[("word/extra.bin", b"\x00" * 64)],
        extra_types={"/word/extra.bin": "application/vnd.ms-office.vbaProject"},
    )


def xlsx_with_vba() -> bytes:
    return corpus.xlsx_bytes(extra=[("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\x00" * 512)])


def xlsx_with_excel4_macros() -> bytes:
    return corpus.xlsx_bytes(extra=[("xl/macrosheets/sheet1.xml", b"<xm:macrosheet/>")])


def forged_sizes(data: bytes, declared: int) -> bytes:
    """Set every central-directory entry's declared uncompressed size."""
    out = bytearray(data)
    start = 0
    while (found := out.find(b"PK\x01\x02", start)) >= 0:
        out[found + 24 : found + 28] = struct.pack("<I", declared)
        start = found + 4
    return bytes(out)


def docx_ratio_bomb() -> bytes:
    return corpus.docx_bytes(extra=[("word/media/image2.png", b"\x00" * (8 * MB))])


def docx_total_bomb() -> bytes:
    # 30 parts of 200 KB each declared as 4 MB: ratio 20:1 each, but 120 MB in all.
    parts = [(f"word/media/bild{n}.png", bytes(range(256)) * 800) for n in range(30)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"<w:document/>")
        for name, data in parts:
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
    return forged_sizes(buffer.getvalue(), 4 * MB)


def ods_with_many_entries() -> bytes:
    return corpus.odf_bytes(corpus.ODS, extra=[(f"Pictures/{n}.png", b"") for n in range(10_001)])


def text_with(markup: bytes, at: int) -> bytes:
    line = "Müller;Bärengruppe;anwesend\n".encode()
    filler = line * (at // len(line) + 1)
    return filler[:at] + markup + b"\n" + line * 10


ATTACKS = {
    "pdf-openaction-javascript": (
        lambda: corpus.libreoffice_pdf(b"/OpenAction<</S/JavaScript/JS(app.launchURL('http://x'))>>"),
        PDF_ACTIVE,
    ),
    "pdf-aa-javascript": (
        lambda: corpus.libreoffice_pdf(b"/AA<</WC<</S/JavaScript/JS 7 0 R>>>>"),
        PDF_ACTIVE,
    ),
    "pdf-javascript-name-tree": (
        lambda: corpus.libreoffice_pdf(b"/Names<</JavaScript<</Names[(a) 7 0 R]>>>>"),
        PDF_ACTIVE,
    ),
    "pdf-js-hex-escaped-name": (
        lambda: corpus.libreoffice_pdf(b"/OpenAction<</S/J#61vaScript/J#53(app.alert(1))>>"),
        PDF_ACTIVE,
    ),
    "pdf-launch": (lambda: corpus.libreoffice_pdf(b"/OpenAction<</S/Launch/F(cmd.exe)>>"), PDF_ACTIVE),
    "pdf-embedded-files": (
        lambda: corpus.libreoffice_pdf(
            b"/Names<</EmbeddedFiles<</Names[(a.exe) 7 0 R]>>>>",
            [b"<</Type/Filespec/F(a.exe)/EF<</F 8 0 R>>>>", corpus.stream(b"/Type/EmbeddedFile", b"MZ")],
        ),
        PDF_ACTIVE,
    ),
    "pdf-richmedia": (
        lambda: corpus.libreoffice_pdf(extra_objects=[b"<</Type/Annot/Subtype/RichMedia/RichMediaContent 8 0 R>>"]),
        PDF_ACTIVE,
    ),
    "pdf-xfa-form": (lambda: corpus.libreoffice_pdf(b"/AcroForm<</Fields[]/XFA 7 0 R>>"), PDF_ACTIVE),
    "pdf-js-in-object-stream": (
        lambda: corpus.object_stream_pdf(b"<</S/JavaScript/JS(app.alert(1))>>"),
        PDF_ACTIVE,
    ),
    "pdf-js-in-uncompressed-object-stream": (
        lambda: corpus.libreoffice_pdf(
            extra_objects=[corpus.stream(b"/Type/ObjStm/N 1/First 4", b"8 0 <</S/JavaScript/JS(x)>>")]
        ),
        PDF_ACTIVE,
    ),
    "pdf-js-behind-lying-length": (pdf_with_js_hidden_by_a_lying_length, PDF_ACTIVE),
    "pdf-header-then-html": (lambda: b"%PDF-1.4\n" + HTML, PDF_ACTIVE),
    "pdf-javascript-uri": (
        lambda: corpus.libreoffice_pdf(extra_objects=[b"<</S/URI/URI(javascript:alert(1))>>"]),
        PDF_ACTIVE,
    ),
    "pdf-then-html": (lambda: corpus.libreoffice_pdf() + HTML, PDF_APPENDED),
    "pdf-then-zip": (lambda: corpus.libreoffice_pdf() + zip_of(b"alert(1)"), PDF_APPENDED),
    "pdf-then-pdf": (lambda: corpus.libreoffice_pdf() + corpus.scanner_pdf(), PDF_APPENDED),
    "pdf-then-html-then-eof": (lambda: corpus.libreoffice_pdf() + HTML + b"%%EOF\n", PDF_APPENDED),
    "pdf-without-eof-then-binary": (lambda: corpus.libreoffice_pdf()[:-6] + b"\x00\x01\x02", PDF_APPENDED),
    "png-then-html": (lambda: corpus.png_bytes() + HTML, IMAGE_APPENDED),
    "png-then-zip": (lambda: corpus.png_bytes() + zip_of(b"alert(1)"), IMAGE_APPENDED),
    "png-script-in-text-chunk": (lambda: corpus.png_bytes(Comment="<script>alert(1)</script>"), IMAGE_MARKUP),
    "png-svg-in-itxt-chunk": (lambda: png_with_chunk(b"iTXt", b"XML\x00\x00\x00\x00\x00<svg onload=x>"), IMAGE_MARKUP),
    "png-chunk-longer-than-file-hiding-html": (
        lambda: corpus.png_bytes()[:-12] + struct.pack(">I", 10**6) + b"IDAT" + HTML,
        IMAGE_MARKUP,
    ),
    "jpeg-then-html": (lambda: corpus.jpeg_bytes() + HTML, IMAGE_APPENDED),
    "jpeg-then-zip": (lambda: corpus.jpeg_bytes() + zip_of(b"alert(1)"), IMAGE_APPENDED),
    "phone-photo-then-html": (lambda: corpus.phone_photo_bytes() + HTML, IMAGE_APPENDED),
    "jpeg-script-in-comment": (lambda: jpeg_with_comment(b"<script>alert(1)</script>"), IMAGE_MARKUP),
    "jpeg-truncated-then-html": (lambda: corpus.jpeg_bytes()[:-2] + HTML, IMAGE_MARKUP),
    "docx-with-vbaproject": (docx_with_vba, MACROS),
    "docx-with-renamed-vbaproject": (docx_with_renamed_vba, MACROS),
    "docx-with-vba-content-type": (docx_with_vba_content_type_only, MACROS),
    "docm-main-type-only": (
        lambda: corpus.docx_bytes(main_type="application/vnd.ms-word.document.macroEnabled.main+xml"),
        MACROS,
    ),
    "xlsx-with-vbaproject": (xlsx_with_vba, MACROS),
    "xlsx-with-excel4-macrosheet": (xlsx_with_excel4_macros, MACROS),
    "odt-with-basic-macros": (
        lambda: corpus.odf_bytes(extra=[("Basic/Standard/Module1.xml", b"<script:module/>")]),
        MACROS,
    ),
    "ods-with-python-script": (
        lambda: corpus.odf_bytes(corpus.ODS, extra=[("Scripts/python/run.py", b"import os")]),
        MACROS,
    ),
    "odt-manifest-lists-script": (
        lambda: corpus.odf_bytes(
            manifest_extra='<manifest:file-entry manifest:full-path="Makro/x.py" '
            'manifest:media-type="application/x-script"/>'
        ),
        MACROS,
    ),
    "odt-event-bound-to-macro": (
        lambda: corpus.odf_bytes(
            body='<office:event-listeners><script:event-listener script:language="ooo:script" '
            'script:event-name="dom:load" xlink:href="vnd.sun.star.script:Standard.Module1.Main'
            '?language=Basic&amp;location=application"/></office:event-listeners>'
        ),
        MACROS,
    ),
    "docx-ratio-bomb": (docx_ratio_bomb, BOMB),
    "docx-declared-total-bomb": (docx_total_bomb, BOMB),
    "odt-declared-huge-entry": (lambda: forged_sizes(corpus.odf_bytes(), 2**32 - 1), BOMB),
    "ods-too-many-entries": (ods_with_many_entries, BOMB),
    "text-script-after-8kb": (lambda: text_with(b"<script>alert(1)</script>", 10_000), TEXT_MARKUP),
    "text-iframe-at-5mb": (lambda: text_with(b"<iframe src=//x>", 5 * MB), TEXT_MARKUP),
    "text-script-across-chunk-boundary": (lambda: text_with(b"<script>", inspect.CHUNK - 4), TEXT_MARKUP),
    "text-html-after-bom": (lambda: b"\xef\xbb\xbf<html><body>x</body></html>", TEXT_MARKUP),
    "text-html-after-comment": (lambda: b"<!-- Liste -->\n<iframe src=//x>", TEXT_MARKUP),
    "text-javascript-url": (lambda: text_with(b"Link: JavaScript:alert(document.cookie)", 20_000), TEXT_MARKUP),
    "text-object-and-embed": (lambda: text_with(b"<object data=x></object><embed src=x>", 30_000), TEXT_MARKUP),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_active_or_deceptive_content_is_refused_with_the_reason(name):
    make, reason = ATTACKS[name]
    with pytest.raises(UploadRejected) as rejected:
        detect_type(io.BytesIO(make()))
    assert reason in rejected.value.message


def test_the_message_names_the_file_and_the_reason():
    with pytest.raises(ValidationError) as error:
        check_files([upload("Vereinbarung.pdf", corpus.libreoffice_pdf(b"/OpenAction<</S/JavaScript/JS(x)>>"))])
    assert error.value.messages == [
        "Vereinbarung.pdf: Nicht erlaubt: PDF mit eingebetteten Skripten, Aktionen oder Dateien."
    ]


def test_reasons_are_translated(settings):
    from django.utils import translation

    with translation.override("en"):
        with pytest.raises(UploadRejected) as rejected:
            detect_type(io.BytesIO(corpus.png_bytes() + HTML))
    assert rejected.value.message == "Not allowed: image with appended data."


# --- bounded memory and time --------------------------------------------------


def _decide_from_disk(data_chunks) -> tuple[object, int, float]:
    with tempfile.TemporaryFile() as file:
        for chunk in data_chunks:
            file.write(chunk)
        size = file.tell()
        assert size >= 20 * MB - 1024
        tracemalloc.start()
        started = time.monotonic()
        try:
            try:
                result = detect_type(file).content_type
            except UploadRejected as rejected:
                result = rejected.message
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return result, peak, time.monotonic() - started


def big_text():
    line = "Müller;Bärengruppe;anwesend;„Eingewöhnung“ läuft < 3 Wochen\n".encode()
    block = line * (MB // len(line))
    for _ in range(20):
        yield block
    yield line * 3000


def big_pdf():
    """A 20 MB scan: pages with large image streams, then xref and %%EOF."""
    page_image = corpus.jpeg_bytes((1200, 900), seed=7, quality=95)
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    yield head
    written, number = len(head), 3
    while written < 20 * MB:
        obj = b"%d 0 obj\n" % number + corpus.stream(b"/Subtype/Image/Filter/DCTDecode", page_image) + b"\nendobj\n"
        yield obj
        written += len(obj)
        number += 1
    yield b"trailer<</Root 1 0 R>>\nstartxref\n0\n%%EOF\n"


@pytest.mark.parametrize("make,expected", [(big_text, "text/plain"), (big_pdf, "application/pdf")])
def test_a_20_mb_file_is_decided_in_bounded_memory(make, expected):
    result, peak, seconds = _decide_from_disk(make())
    assert result == expected
    assert peak < 2 * MB, f"peak {peak / 1e6:.2f} MB"
    assert seconds < 10, f"{seconds:.1f} s"


def test_a_20_mb_text_with_markup_at_the_end_is_refused_in_bounded_memory():
    result, peak, _seconds = _decide_from_disk([*big_text(), b"<script>x</script>"])
    assert TEXT_MARKUP in result
    assert peak < 2 * MB, f"peak {peak / 1e6:.2f} MB"
