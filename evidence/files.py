"""Checking uploaded files before anything is stored: how many, their size,
and their type decided from the content (magic bytes and container
structure), never from the name or the browser's Content-Type. Also makes
names safe to show."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evidence import inspect

SNIFF_BYTES = 8192
MAX_ZIP_ENTRIES = 10_000


@dataclass(frozen=True)
class FileType:
    extension: str
    content_type: str
    label: str


PDF = FileType(".pdf", "application/pdf", "PDF")
JPEG = FileType(".jpg", "image/jpeg", "JPEG")
PNG = FileType(".png", "image/png", "PNG")
DOCX = FileType(".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX")
XLSX = FileType(".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX")
ODT = FileType(".odt", "application/vnd.oasis.opendocument.text", "ODT")
ODS = FileType(".ods", "application/vnd.oasis.opendocument.spreadsheet", "ODS")
TEXT = FileType(".txt", "text/plain", "Text")

ALLOWED_LABELS = "PDF, JPEG, PNG, DOCX, XLSX, ODT, ODS, Text"


class UploadRejected(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Signatures of things we refuse outright, with the reason users read.
_REFUSED_SIGNATURES = [
    (b"MZ", gettext_lazy("ausführbare Programmdatei")),
    (b"\x7fELF", gettext_lazy("ausführbare Programmdatei")),
    (b"\xca\xfe\xba\xbe", gettext_lazy("ausführbare Programmdatei")),
    (b"\xcf\xfa\xed\xfe", gettext_lazy("ausführbare Programmdatei")),
    (b"#!", gettext_lazy("Skript")),
    (b"Rar!", gettext_lazy("Archiv")),
    (b"7z\xbc\xaf", gettext_lazy("Archiv")),
    (b"\x1f\x8b", gettext_lazy("Archiv")),
    (b"GIF8", gettext_lazy("GIF-Bild (nicht erlaubt)")),
]
_MARKUP = re.compile(rb"^\s*(<\?xml|<!doctype|<html|<svg|<script|<head|<body|<iframe)", re.IGNORECASE)
_SCRIPT_ANYWHERE = re.compile(rb"<script|<svg|javascript:", re.IGNORECASE)


def detect_type(file) -> FileType:
    """Return the file's type or raise UploadRejected saying why not. `file`
    is a Django UploadedFile (or any seekable binary file). The type comes
    from the first bytes; then the format's inspector in `evidence.inspect`
    reads the file in bounded chunks for active or deceptive content."""
    file_type = _detect_type(file)
    try:
        reason = _INSPECTORS[file_type](file) if file_type in _INSPECTORS else None
    finally:
        file.seek(0)
    if reason:
        raise _refused(reason)
    return file_type


def _refused(reason) -> UploadRejected:
    return UploadRejected(_("Nicht erlaubt: %(reason)s.") % {"reason": reason})


def _detect_type(file) -> FileType:
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    if not head:
        raise UploadRejected(_("Die Datei ist leer."))
    for signature, reason in _REFUSED_SIGNATURES:
        if head.startswith(signature):
            raise UploadRejected(
                _("Nicht erlaubt: %(reason)s. Erlaubt sind %(allowed)s.")
                % {"reason": reason, "allowed": ALLOWED_LABELS}
            )
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"PK\x03\x04"):
        return _detect_zip_container(file)
    if _MARKUP.match(head) or _SCRIPT_ANYWHERE.search(head):
        raise UploadRejected(
            _("HTML-, SVG- und Skriptdateien sind nicht erlaubt. Erlaubt sind %(allowed)s.")
            % {"allowed": ALLOWED_LABELS}
        )
    if _looks_like_text(head):
        return TEXT
    raise UploadRejected(
        _("Der Dateityp ist nicht erlaubt oder nicht erkennbar. Erlaubt sind %(allowed)s.")
        % {"allowed": ALLOWED_LABELS}
    )


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sniffed block is fine.
        if error.start < len(head) - 3:
            return False
        text = head[: error.start].decode("utf-8")
    controls = sum(1 for char in text if unicodedata.category(char) == "Cc" and char not in "\t\n\r\f")
    return controls == 0


def _detect_zip_container(file) -> FileType:
    """Office documents are ZIP files; tell them from other ZIPs by content.
    Bombs are refused from the central directory, before anything is inflated,
    and macros from the part names and the small XML parts that list them."""
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES or inspect.zip_bomb(infos):
                raise _refused(inspect.ZIP_BOMB)
            names = {info.filename for info in infos}
            if "mimetype" in names:
                # Read at most 100 bytes: never inflate an entry whole (zip bombs).
                with archive.open("mimetype") as entry:
                    mimetype = entry.read(100).strip()
                for odf in (ODT, ODS):
                    if mimetype == odf.content_type.encode():
                        if inspect.odf_macros(archive, names):
                            raise _refused(inspect.OFFICE_MACROS)
                        return odf
            if "[Content_Types].xml" in names:
                for ooxml, folder in ((DOCX, "word/"), (XLSX, "xl/")):
                    if any(name.startswith(folder) for name in names):
                        if inspect.ooxml_macros(archive, names):
                            raise _refused(inspect.OFFICE_MACROS)
                        return ooxml
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
        pass
    finally:
        file.seek(0)
    raise UploadRejected(
        _("ZIP-Archive und andere Container sind nicht erlaubt. Erlaubt sind %(allowed)s.")
        % {"allowed": ALLOWED_LABELS}
    )


_INSPECTORS = {
    PDF: inspect.inspect_pdf,
    PNG: inspect.inspect_png,
    JPEG: inspect.inspect_jpeg,
    TEXT: inspect.inspect_text,
}

_UNSAFE_NAME_CHARS = re.compile(r'[<>:"|?*]')


def safe_display_name(name: str, file_type: FileType | None = None, *, max_length: int = 150) -> str:
    """A file name fit to show: no path parts, no control characters, NFC,
    bounded length, and the extension of the detected type."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = _UNSAFE_NAME_CHARS.sub("_", name).strip(" .")
    if file_type is None:
        # Not yet (or never) recognised: show the name as given, made safe.
        return name[:max_length] or _("Dokument")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")[:max_length] or _("Dokument")
    return f"{stem}{file_type.extension}"


@dataclass
class CheckedFile:
    upload: object
    display_name: str
    file_type: object
    size: int


def check_files(files: list) -> list[CheckedFile]:
    """Check every file before anything is stored; raise ValidationError
    listing each rejected file and why, so that nothing is half-stored."""
    max_files = settings.MAX_UPLOAD_FILES
    if not files:
        raise ValidationError(_("Bitte wählen Sie mindestens eine Datei."))
    if len(files) > max_files:
        raise ValidationError(
            _("Höchstens %(max)d Dateien auf einmal, gewählt sind %(count)d.") % {"max": max_files, "count": len(files)}
        )
    max_bytes = settings.MAX_UPLOAD_MB * 1024 * 1024
    checked, errors = [], []
    for upload in files:
        shown = safe_display_name(getattr(upload, "name", ""))
        try:
            if upload.size > max_bytes:
                raise UploadRejected(_("Die Datei ist größer als %(max)d MB.") % {"max": settings.MAX_UPLOAD_MB})
            file_type = detect_type(upload)
        except UploadRejected as rejected:
            errors.append(f"{shown}: {rejected.message}")
            continue
        checked.append(CheckedFile(upload, safe_display_name(upload.name, file_type), file_type, upload.size))
    if errors:
        raise ValidationError(errors)
    return checked


# ---------------------------------------------------------------- shown in the browser

# Only these are ever rendered, and only when the stored type and the file's
# first bytes agree. Everything else (HTML, SVG, text, office files, a text
# file named .pdf) gets the ordinary download as an attachment.
INLINE_TYPES = {
    "application/pdf": ("pdf", (b"%PDF-",)),
    "image/png": ("image", (b"\x89PNG\r\n\x1a\n",)),
    "image/jpeg": ("image", (b"\xff\xd8\xff",)),
    "image/gif": ("image", (b"GIF87a", b"GIF89a")),
    "image/webp": ("image", ()),  # RIFF....WEBP, checked below
}
INLINE_MAGIC_BYTES = 16


def _magic_matches(content_type: str, head: bytes) -> bool:
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return any(head.startswith(signature) for signature in INLINE_TYPES[content_type][1])


def inline_kind(revision) -> str:
    """ "pdf", "image", or "" for a stored revision that is only ever
    downloaded: the reviewer's preview renders the first two inline."""
    content_type = (revision.content_type or "").split(";")[0].strip().lower()
    if content_type not in INLINE_TYPES:
        return ""
    try:
        with revision.file.open("rb") as handle:
            head = handle.read(INLINE_MAGIC_BYTES)
    except (OSError, ValueError):
        return ""
    return INLINE_TYPES[content_type][0] if _magic_matches(content_type, head) else ""
