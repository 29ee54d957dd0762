"""Small, real files of every allowed type, and the bad ones, built in code."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
TEXT_BYTES = "Teilnehmerliste Elterncafé\nMärz 2026: 12 Familien\n".encode()


def zip_bytes(entries: dict[str, bytes], *, first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if first:
            archive.writestr(first, entries[first], compress_type=zipfile.ZIP_STORED)
        for name, data in entries.items():
            if name != first:
                archive.writestr(name, data)
    return buffer.getvalue()


DOCX_BYTES = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX_BYTES = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT_BYTES = zip_bytes(
    {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}, first="mimetype"
)
ODS_BYTES = zip_bytes(
    {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}, first="mimetype"
)
PLAIN_ZIP_BYTES = zip_bytes({"secret.txt": b"hello"})

ALLOWED = {
    "nachweis.pdf": (PDF_BYTES, "application/pdf"),
    "foto.png": (PNG_BYTES, "image/png"),
    "foto.jpg": (JPEG_BYTES, "image/jpeg"),
    "liste.txt": (TEXT_BYTES, "text/plain"),
    "konzept.docx": (DOCX_BYTES, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "tabelle.xlsx": (XLSX_BYTES, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "bericht.odt": (ODT_BYTES, "application/vnd.oasis.opendocument.text"),
    "tabelle.ods": (ODS_BYTES, "application/vnd.oasis.opendocument.spreadsheet"),
}

# name, bytes, the words the refusal must contain
REJECTED = [
    ("leer.pdf", b"", "leer"),
    ("programm.pdf", b"MZ\x90\x00" + b"\x00" * 64, "ausführbare Programmdatei"),
    ("linux.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "ausführbare Programmdatei"),
    ("seite.pdf", b"<!DOCTYPE html><html><body>hi</body></html>", "HTML"),
    ("bild.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG"),
    ("skript.txt", b"#!/bin/sh\nrm -rf /\n", "Skript"),
    ("archiv.pdf", PLAIN_ZIP_BYTES, "ZIP"),
    ("binär.txt", b"\x00\x01\x02\x03\x04binary", "nicht erlaubt"),
]


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    # The browser's Content-Type is deliberately wrong in many tests: it must not matter.
    return SimpleUploadedFile(name, data, content_type=content_type)
