"""Ordinary documents a centre makes, built in code the way the programs
that make them lay them out, and the attack files that must be refused."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

from openpyxl import Workbook
from PIL import Image, PngImagePlugin

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


# --- images -----------------------------------------------------------------


def photo(size=(320, 240), seed=1) -> Image.Image:
    rng = random.Random(seed)
    image = Image.new("RGB", size)
    image.putdata([(rng.randrange(256), (x * 7) % 256, 128) for x in range(size[0] * size[1])])
    return image


def png_bytes(**text) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "Kita-Verwaltung")
    for key, value in text.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    photo().save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def jpeg_bytes(size=(320, 240), seed=1, quality=85) -> bytes:
    buffer = io.BytesIO()
    photo(size, seed).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def exif_app1(thumbnail: bytes) -> bytes:
    """An EXIF APP1 segment (big-endian TIFF) whose IFD1 holds a JPEG thumbnail."""
    make = b"Phone Inc.\x00"
    ifd0_offset = 8
    make_offset = ifd0_offset + 2 + 12 + 4
    ifd1_offset = make_offset + len(make)
    thumb_offset = ifd1_offset + 2 + 2 * 12 + 4
    ifd0 = (
        struct.pack(">H", 1) + struct.pack(">HHII", 0x010F, 2, len(make), make_offset) + struct.pack(">I", ifd1_offset)
    )
    ifd1 = (
        struct.pack(">H", 2)
        + struct.pack(">HHII", 0x0201, 4, 1, thumb_offset)
        + struct.pack(">HHII", 0x0202, 4, 1, len(thumbnail))
        + struct.pack(">I", 0)
    )
    tiff = b"MM\x00*" + struct.pack(">I", ifd0_offset) + ifd0 + make + ifd1 + thumbnail
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def phone_photo_bytes() -> bytes:
    """A JPEG with an EXIF APP1 first, holding a thumbnail with its own FFD8...FFD9."""
    main = jpeg_bytes((640, 480), seed=2)
    thumbnail = jpeg_bytes((160, 120), seed=3, quality=60)
    return main[:2] + exif_app1(thumbnail) + main[2:]


# --- PDF --------------------------------------------------------------------


def _pdf(objects: list[bytes], *, header=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", root=1, info=None) -> bytes:
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = b"/Size %d /Root %d 0 R" % (len(objects) + 1, root)
    if info:
        trailer += b" /Info %d 0 R" % info
    out += b"trailer\n<<" + trailer + b">>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<<" + dictionary + b" /Length %d>>\nstream\n" % len(data) + data + b"\nendstream"


def libreoffice_pdf(extra_catalog: bytes = b"", extra_objects: list[bytes] | None = None) -> bytes:
    """Catalog, pages, a page with a compressed content stream, a font, an
    info dictionary with an ID, like LibreOffice's "Export as PDF"."""
    content = zlib.compress(b"BT /F1 12 Tf 72 720 Td (Kooperationsvereinbarung Kita Sonnenschein) Tj ET\n" * 40)
    objects = [
        b"<</Type/Catalog/Pages 2 0 R/Lang(de-DE)" + extra_catalog + b">>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1/MediaBox[0 0 595.304 841.89]>>",
        b"<</Type/Page/Parent 2 0 R/Resources<</Font<</F1 5 0 R>>/ProcSet[/PDF/Text]>>/Contents 4 0 R>>",
        stream(b"/Filter/FlateDecode", content),
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>",
        b"<</Creator<FEFF005700720069007400650072>/Producer<FEFF004C0069006200720065004F0066006600690063006500>"
        b"/CreationDate(D:20260301101500+01'00')>>",
        *(extra_objects or []),
    ]
    return _pdf(objects, info=6)


def incremental_update(pdf: bytes) -> bytes:
    """Append an incremental update (new info dictionary) with its own %%EOF."""
    prev = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    offset = len(pdf)
    body = b"7 0 obj\n<</Title(Vereinbarung, unterschrieben)/ModDate(D:20260302090000+01'00')>>\nendobj\n"
    xref = offset + len(body)
    update = body + b"xref\n0 1\n0000000000 65535 f \n7 1\n%010d 00000 n \n" % offset
    update += b"trailer\n<</Size 8/Root 1 0 R/Info 7 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n" % (prev, xref)
    return pdf + update


def scanner_pdf(jpeg: bytes | None = None) -> bytes:
    jpeg = jpeg or jpeg_bytes((640, 480), seed=4)
    content = b"q 595 0 0 842 0 0 cm /Im0 Do Q\n"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</XObject<</Im0 5 0 R>>>>/Contents 4 0 R>>",
        stream(b"", content),
        stream(
            b"/Type/XObject/Subtype/Image/Width 640/Height 480/ColorSpace/DeviceRGB"
            b"/BitsPerComponent 8/Filter/DCTDecode",
            jpeg,
        ),
        b"<</Producer(ScanSnap Manager)/Creator(Scanner)>>",
    ]
    return _pdf(objects, header=b"%PDF-1.3\n", info=6)


def object_stream_pdf(hidden: bytes = b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>") -> bytes:
    """PDF 1.5 with its small dictionaries packed in a compressed object
    stream, as Word's "Save as PDF" writes; `hidden` is object 5 inside it."""
    inner = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>", hidden]
    numbers = [1, 2, 5]
    offsets, body = [], b""
    for item in inner:
        offsets.append(len(body))
        body += item + b"\n"
    index = b" ".join(b"%d %d" % pair for pair in zip(numbers, offsets, strict=True)) + b"\n"
    packed = zlib.compress(index + body)
    objects = [
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>",
        stream(b"/Filter/FlateDecode", zlib.compress(b"BT /F1 11 Tf 50 800 Td (Bericht) Tj ET")),
        stream(b"/Type/ObjStm/N 3/First %d/Filter/FlateDecode" % len(index), packed),
    ]
    pdf = bytearray(b"%PDF-1.5\n%\xb5\xb5\xb5\xb5\n")
    for number, obj in zip((3, 4, 6), objects, strict=True):
        pdf += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    pdf += b"trailer\n<</Size 7/Root 1 0 R>>\nstartxref\n0\n%%EOF\n"
    return bytes(pdf)


# --- Office -----------------------------------------------------------------


def _zip(entries: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(entries):
            stored = stored_first and index == 0
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _content_types(overrides: dict[str, str], defaults: dict[str, str] | None = None) -> bytes:
    defaults = {
        "rels": "application/vnd.openxmlformats-package.relationships+xml",
        "xml": "application/xml",
        "png": "image/png",
        **(defaults or {}),
    }
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n']
    parts.append('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">')
    parts += [f'<Default Extension="{ext}" ContentType="{kind}"/>' for ext, kind in defaults.items()]
    parts += [f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides.items()]
    parts.append("</Types>")
    return "".join(parts).encode()


def _rels(rels: list[tuple[str, str, str]]) -> bytes:
    items = "".join(f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>' for rid, kind, target in rels)
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return f'{head}<Relationships xmlns="{REL_NS}">{items}</Relationships>'.encode()


CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
    b' xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Konzeption Elternarbeit</dc:title>'
    b"<dc:creator>Kita Sonnenschein</dc:creator></cp:coreProperties>"
)
APP = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    b"<Application>Microsoft Office Word</Application><Pages>2</Pages></Properties>"
)


def docx_bytes(
    *,
    main_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    extra: list[tuple[str, bytes]] = (),
    extra_rels: list[tuple[str, str, str]] = (),
    extra_types: dict[str, str] | None = None,
    extra_defaults: dict[str, str] | None = None,
) -> bytes:
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{W_NS}"><w:body>'
        "<w:p><w:r><w:t>Konzeption: Zusammenarbeit mit Familien – Übergänge gestalten</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>Bitte &lt;script&gt; nicht als Code verstehen.</w:t></w:r></w:p>"
        "</w:body></w:document>"
    ).encode()
    types = {
        "/word/document.xml": main_type,
        "/word/styles.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml",
        "/word/theme/theme1.xml": "application/vnd.openxmlformats-officedocument.theme+xml",
        "/docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
        "/docProps/app.xml": "application/vnd.openxmlformats-officedocument.extended-properties+xml",
        **(extra_types or {}),
    }
    entries = [
        ("[Content_Types].xml", _content_types(types, extra_defaults)),
        (
            "_rels/.rels",
            _rels(
                [
                    ("rId1", f"{OFFICE_REL}/officeDocument", "word/document.xml"),
                    (
                        "rId2",
                        "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
                        "docProps/core.xml",
                    ),
                    ("rId3", f"{OFFICE_REL}/extended-properties", "docProps/app.xml"),
                ]
            ),
        ),
        ("word/document.xml", document),
        (
            "word/_rels/document.xml.rels",
            _rels(
                [
                    ("rId1", f"{OFFICE_REL}/styles", "styles.xml"),
                    ("rId2", f"{OFFICE_REL}/theme", "theme/theme1.xml"),
                    ("rId3", f"{OFFICE_REL}/image", "media/image1.png"),
                    *extra_rels,
                ]
            ),
        ),
        ("word/styles.xml", f'<w:styles xmlns:w="{W_NS}"><w:style w:styleId="Standard"/></w:styles>'.encode()),
        (
            "word/theme/theme1.xml",
            b'<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Office"/>',
        ),
        ("word/media/image1.png", png_bytes()),
        ("docProps/core.xml", CORE),
        ("docProps/app.xml", APP),
        *extra,
    ]
    return _zip(entries)


def xlsx_bytes(*, extra: list[tuple[str, bytes]] = ()) -> bytes:
    """Written by openpyxl (which lays it out like Excel); `extra` parts added."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Teilnahme"
    sheet.append(["Monat", "Familien", "Angebot"])
    for month, count in (("Januar", 12), ("Februar", 9), ("März", 15)):
        sheet.append([month, count, "Elterncafé"])
    sheet["E1"] = "=SUM(B2:B4)"
    buffer = io.BytesIO()
    workbook.save(buffer)
    if not extra:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        for name, data in extra:
            target.writestr(name, data)
    return out.getvalue()


def xlsx_with_printer_settings() -> bytes:
    """Excel stores printer settings as xl/printerSettings/*.bin: not a macro."""
    return xlsx_bytes(extra=[("xl/printerSettings/printerSettings1.bin", b"\x00\x01" * 600)])


ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"


def odf_bytes(
    mimetype: str = ODT, *, extra: list[tuple[str, bytes]] = (), manifest_extra: str = "", body: str = ""
) -> bytes:
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
        '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
        '<manifest:file-entry manifest:full-path="Thumbnails/thumbnail.png" manifest:media-type="image/png"/>'
        f"{manifest_extra}</manifest:manifest>"
    ).encode()
    office = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.3"'
    entries = [
        ("mimetype", mimetype.encode()),
        (
            "content.xml",
            f"<office:document-content {office}><office:body><office:text>"
            f"Protokoll Elternabend, Übergang Kita – Grundschule{body}</office:text></office:body>"
            "</office:document-content>".encode(),
        ),
        ("styles.xml", f"<office:document-styles {office}/>".encode()),
        ("meta.xml", f"<office:document-meta {office}><office:meta/></office:document-meta>".encode()),
        ("settings.xml", f"<office:document-settings {office}/>".encode()),
        ("Thumbnails/thumbnail.png", png_bytes()),
        ("META-INF/manifest.xml", manifest),
        *extra,
    ]
    return _zip(entries, stored_first=True)


# --- text -------------------------------------------------------------------

CSV_BYTES = (
    "Name;Gruppe;Anmerkung\nJürgen Müller;Bärengruppe;Allergie: Nüsse\nÖzlem Şahin;Igel;„Eingewöhnung“ läuft\n" * 50
).encode()
CSV_BOM_BYTES = b"\xef\xbb\xbf" + CSV_BYTES
TEXT_BYTES = (
    "Protokoll Teamsitzung 3. März 2026\n\nThemen: Sprachförderung, Übergänge, Eltern < 3 Jahre.\n"
    "Die Kinder haben ein Objekt <objekt> gebastelt; siehe Tabelle > Zeile 4.\n"
).encode() * 200

ACCEPTED = {
    "foto.png": (png_bytes, "image/png"),
    "foto.jpg": (jpeg_bytes, "image/jpeg"),
    "handyfoto-mit-exif.jpg": (phone_photo_bytes, "image/jpeg"),
    "bericht-libreoffice.pdf": (libreoffice_pdf, "application/pdf"),
    "bericht-unterschrieben.pdf": (lambda: incremental_update(libreoffice_pdf()), "application/pdf"),
    "bericht-mit-nullen.pdf": (lambda: libreoffice_pdf() + b"\r\n\x00\x00\x00  \n", "application/pdf"),
    "scan.pdf": (scanner_pdf, "application/pdf"),
    "word-export.pdf": (object_stream_pdf, "application/pdf"),
    "konzept.docx": (docx_bytes, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "tabelle.xlsx": (xlsx_bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "tabelle-drucker.xlsx": (
        xlsx_with_printer_settings,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "protokoll.odt": (odf_bytes, ODT),
    "tabelle.ods": (lambda: odf_bytes(ODS), ODS),
    "liste.csv": (lambda: CSV_BYTES, "text/plain"),
    "liste-excel-utf8.csv": (lambda: CSV_BOM_BYTES, "text/plain"),
    "protokoll.txt": (lambda: TEXT_BYTES, "text/plain"),
}
