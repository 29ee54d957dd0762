"""Format-specific checks for active or deceptive content, used by
`evidence.files.detect_type` once the type is known from the magic bytes.

Each inspector returns the reason a file is refused (a lazy German string)
or None. They read the file in bounded chunks, never whole, never inflate
more than a bounded amount, and use only regexes without nested
quantifiers, so a 20 MB upload is decided in bounded time and memory."""

from __future__ import annotations

import re
import zlib

from django.utils.translation import gettext_lazy

CHUNK = 64 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_RATIO = 100
RATIO_MIN_BYTES = 1024 * 1024
MAX_METADATA_READ = 1024 * 1024
MAX_PDF_INFLATE = 64 * 1024 * 1024
MAX_SEGMENTS = 100_000

PDF_ACTIVE = gettext_lazy("PDF mit eingebetteten Skripten, Aktionen oder Dateien")
PDF_APPENDED = gettext_lazy("PDF mit angehängten Daten nach dem Dateiende")
PDF_TOO_BIG = gettext_lazy("PDF mit übergroßen komprimierten Objekten")
IMAGE_APPENDED = gettext_lazy("Bild mit angehängten Daten")
IMAGE_MARKUP = gettext_lazy("Bild mit HTML- oder Skriptinhalt")
OFFICE_MACROS = gettext_lazy("Office-Datei mit Makros")
ZIP_BOMB = gettext_lazy("Archiv, das beim Entpacken zu groß würde")
TEXT_MARKUP = gettext_lazy("Textdatei mit HTML- oder Skriptinhalt")

# Markup a browser would run or render; the lookahead keeps "<objective" out.
MARKUP = re.compile(rb"(?i:<(?:script|html|iframe|svg|object|embed|!doctype\s{1,16}html)(?=[\s/>])|javascript:)")
# After a PDF's last %%EOF: binary bytes (a ZIP, an image, a program), any
# tag, another PDF or a script. Plain printable text is let through.
_PDF_FOREIGN_TAIL = re.compile(rb"[^\x00\t\n\r\x0c\x20-\x7e]|<[A-Za-z!?/]|%PDF-|#!|(?i:javascript:)")
_IMAGE_PADDING = re.compile(rb"[^\x00\t\n\r\x0b\x0c \xff]")


def stream_search(file, pattern: re.Pattern, start: int = 0, end: int | None = None, overlap: int = 64):
    """Absolute offset of the first match of `pattern` in file[start:end],
    read in chunks that overlap by `overlap` bytes (longer than any match)."""
    file.seek(start)
    buffer, base, final = b"", start, False
    while not final:
        want = CHUNK if end is None else min(CHUNK, end - (base + len(buffer)))
        data = file.read(want) if want > 0 else b""
        final = not data
        buffer += data
        limit = len(buffer) if final else max(0, len(buffer) - overlap)
        match = pattern.search(buffer, 0, len(buffer))
        if match and match.start() < limit:
            return base + match.start()
        drop = limit
        buffer, base = buffer[drop:], base + drop
    return None


def _size(file) -> int:
    file.seek(0, 2)
    return file.tell()


# --- PDF --------------------------------------------------------------------

_DELIM = rb"\x00\t\n\r\x0c ()<>\[\]{}/%"


def _spelled(name: str) -> bytes:
    """A name as a regex that also matches its #xx-escaped spellings."""
    parts = []
    for char in name:
        high, low = divmod(ord(char), 16)
        parts.append(b"(?:%s|#%x[%x%X])" % (char.encode(), high, low, low))
    return b"".join(parts)


# Only the names that matter, in any #xx spelling; a regex, so benign names cost nothing.
_ACTIVE = ("JavaScript", "JS", "Launch", "EmbeddedFiles", "EmbeddedFile", "RichMedia", "XFA")
_PDF_NAME = b"/(?:" + b"|".join(_spelled(name) for name in _ACTIVE) + b")(?![^" + _DELIM + b"])"
_PDF_TOKEN = re.compile(
    rb"%%EOF|%PDF-|PK\x03\x04|PK\x05\x06|>>[\x00\t\n\r\x0c ]{0,256}stream(?:\r\n|\n|\r)|"
    + _PDF_NAME
    + b"|"
    + MARKUP.pattern
)
_PDF_NAMES_ONLY = re.compile(_PDF_NAME)
_KEEP = 4096
_LOOKBACK = 2048
# A direct /Length (not "/Length 12 0 R") says where the stream data ends.
_STREAM_LENGTH = re.compile(rb"/Length\s{1,16}(\d{1,10})(?!\d)(?!\s{1,16}\d{1,10}\s{1,16}R)")


class _Inflater:
    """Inflates an object stream bit by bit and looks for active names in it."""

    def __init__(self, budget: list[int], *, compressed: bool = True):
        self.zlib = zlib.decompressobj() if compressed else None
        self.budget = budget
        self.carry = b""
        self.broken = False

    def feed(self, data: bytes) -> bool:
        """True if the inflated text holds an active name."""
        while data and not self.broken:
            if self.zlib is None:
                out, data = data, b""
            else:
                try:
                    out = self.zlib.decompress(data, CHUNK)
                except zlib.error:
                    self.broken = True
                    return False
                data = self.zlib.unconsumed_tail
            self.budget[0] -= len(out)
            if self.budget[0] < 0:
                raise _TooBig
            text = self.carry + out
            # A name ending exactly at the end may go on in the next piece: seen again then.
            if any(m.end() < len(text) for m in _PDF_NAMES_ONLY.finditer(text)):
                return True
            self.carry = text[-128:]
            if self.zlib is not None and self.zlib.eof:
                self.broken = True
        return False


class _TooBig(Exception):
    pass


def inspect_pdf(file):
    """Refuse scripts, actions, embedded files and data after the last %%EOF.
    Streams are skipped (their bytes are not PDF syntax) except object
    streams, which hold dictionaries and are inflated within a budget."""
    file.seek(0)
    buffer, base, pos = b"", 0, 0
    # in_stream: False, True (no direct /Length) or the absolute end offset by /Length.
    in_stream, inflater, last_eof, final = False, None, None, False
    budget = [MAX_PDF_INFLATE]
    try:
        while not final:
            data = file.read(CHUNK)
            final = not data
            buffer += data
            limit = len(buffer) if final else len(buffer) - _KEEP
            while pos < limit:
                if in_stream is not False:
                    # The stream ends at the first "endstream" or its /Length,
                    # whichever comes first: a lying /Length hides nothing.
                    found = buffer.find(b"endstream", pos)
                    if in_stream is not True and (found < 0 or in_stream - base < found):
                        found = in_stream - base
                    done = 0 <= found < limit
                    stop = found if done else limit
                    if inflater and inflater.feed(buffer[pos:stop]):
                        return PDF_ACTIVE
                    if not done:
                        pos = limit
                        break
                    pos, in_stream, inflater = found, False, None
                    continue
                match = _PDF_TOKEN.search(buffer, pos)
                if not match or match.start() >= limit:
                    pos = limit
                    break
                token, pos = match.group(), match.end()
                if token == b"%%EOF":
                    last_eof = base + match.end()
                elif token.startswith((b"%PDF-", b"PK")):
                    if token.startswith(b"PK") or base + match.start() > 0:
                        # A second header or a ZIP outside any stream: a document appended.
                        return PDF_APPENDED
                elif token.startswith(b">>"):
                    # The stream's dictionary: from its "N 0 obj" to ">>", no copy.
                    start = match.start()
                    lookback = max(0, start - _LOOKBACK)
                    head = buffer.rfind(b"obj", lookback, start)
                    head = lookback if head < 0 else head
                    length = _STREAM_LENGTH.search(buffer, head, start)
                    in_stream = base + pos + int(length.group(1)) if length else True
                    if buffer.find(b"/ObjStm", head, start) >= 0:
                        # Object streams hold dictionaries: read them, inflated or raw.
                        flate = buffer.find(b"/FlateDecode", head, start) >= 0
                        if flate or buffer.find(b"/Filter", head, start) < 0:
                            inflater = _Inflater(budget, compressed=flate)
                elif token.startswith(b"/"):
                    return PDF_ACTIVE
                else:
                    # Markup outside any stream: after an %%EOF it is an appended page.
                    return PDF_ACTIVE if last_eof is None else PDF_APPENDED
            drop = max(0, min(pos, len(buffer)) - _KEEP)
            buffer, base, pos = buffer[drop:], base + drop, pos - drop
    except _TooBig:
        return PDF_TOO_BIG
    if last_eof is None or stream_search(file, _PDF_FOREIGN_TAIL, last_eof, overlap=16) is not None:
        return PDF_APPENDED
    return None


# --- images -----------------------------------------------------------------


def _read_exact(file, count: int) -> bytes | None:
    data = file.read(count)
    return data if len(data) == count else None


def _png_end(file):
    """(end offset, None) after IEND, or (offset where the structure was
    lost, None), or (None, reason)."""
    pos, size = 8, _size(file)
    for _index in range(MAX_SEGMENTS):
        file.seek(pos)
        header = _read_exact(file, 8)
        if header is None or not header[4:8].isalpha():
            return pos, False
        length, kind = int.from_bytes(header[:4], "big"), header[4:8]
        data_start, pos = pos + 8, pos + 12 + length
        if pos > size:
            # A chunk claiming more bytes than there are: check what it hides.
            return data_start, False
        if kind in (b"tEXt", b"iTXt", b"zTXt"):
            if stream_search(file, MARKUP, data_start, data_start + length) is not None:
                return None, IMAGE_MARKUP
        if kind == b"IEND":
            return pos, True
    return pos, False


def _jpeg_end(file, start: int):
    """Walk the JPEG segments from its SOI at `start`; the EXIF thumbnail
    sits inside APP1 and is skipped with it. Returns (offset, complete) or
    (None, reason)."""
    pos, size = start + 2, _size(file)
    for _index in range(MAX_SEGMENTS):
        file.seek(pos)
        byte = file.read(1)
        if byte != b"\xff":
            return pos, False
        while byte == b"\xff":
            byte = file.read(1)
        if not byte:
            return pos, False
        marker, pos = byte[0], file.tell()
        if marker == 0xD9:
            return pos, True
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        length_bytes = _read_exact(file, 2)
        if marker in (0x00, 0xD8) or length_bytes is None or int.from_bytes(length_bytes, "big") < 2:
            return pos, False
        data_start, pos = pos + 2, pos + int.from_bytes(length_bytes, "big")
        if pos > size:
            return data_start, False
        if (0xE0 <= marker <= 0xEF or marker == 0xFE) and stream_search(file, MARKUP, data_start, pos) is not None:
            return None, IMAGE_MARKUP
        if marker == 0xDA:
            found = stream_search(file, _JPEG_MARKER, pos, overlap=2)
            if found is None:
                return pos, False
            pos = found
    return pos, False


_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _image_tail(file, end: int, complete: bool, is_jpeg: bool, depth: int = 0):
    if not complete:
        # Broken or truncated structure: whatever follows must at least not be markup.
        return IMAGE_MARKUP if stream_search(file, MARKUP, end) is not None else None
    other = stream_search(file, _IMAGE_PADDING, end, overlap=1)
    if other is None:
        return None
    file.seek(other)
    if is_jpeg and depth < 8 and file.read(3) == b"\xff\xd8\xff":
        # Multi-picture JPEGs (MPF) store further complete JPEGs after the first.
        next_end, next_complete = _jpeg_end(file, other)
        if next_end is None:
            return next_complete
        if next_complete:
            return _image_tail(file, next_end, True, True, depth + 1)
    return IMAGE_APPENDED


def inspect_png(file):
    end, complete = _png_end(file)
    return complete if end is None else _image_tail(file, end, complete, False)


def inspect_jpeg(file):
    end, complete = _jpeg_end(file, 0)
    return complete if end is None else _image_tail(file, end, complete, True)


# --- ZIP containers ---------------------------------------------------------

_OOXML_MACRO = re.compile(rb"(?i:vbaProject|macroEnabled|macrosheet|vbaData)")
_ODF_SCRIPT = re.compile(rb'(?i:full-path="(?:Basic|Scripts)/|media-type="[^"]{0,200}script)')


def zip_bomb(infos) -> bool:
    """Decided from the central directory only: nothing is inflated."""
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            return True
    return total > MAX_UNPACKED_BYTES


def _read_entry(archive, name: str) -> bytes:
    with archive.open(name) as entry:
        return entry.read(MAX_METADATA_READ)


def ooxml_macros(archive, names: set[str]) -> bool:
    for name in names:
        lowered = name.lower()
        if lowered.endswith("vbaproject.bin") or lowered.startswith(("xl/macrosheets/", "xl/intlmacrosheets/")):
            return True
    parts = ["[Content_Types].xml"] + sorted(name for name in names if name.endswith(".rels"))[:200]
    return any(_OOXML_MACRO.search(_read_entry(archive, name)) for name in parts)


# An event (on open, on click) bound to a macro or script.
_ODF_MACRO_BINDING = re.compile(rb"(?i:vnd\.sun\.star\.script:|macro:///|<script:event-listener)")


def _entry_matches(archive, name: str, pattern: re.Pattern) -> bool:
    """Inflate one part piece by piece (its size is already bounded by the
    bomb check) and look for `pattern` across the pieces."""
    carry = b""
    with archive.open(name) as entry:
        while piece := entry.read(CHUNK):
            text = carry + piece
            if pattern.search(text):
                return True
            carry = text[-64:]
    return False


def odf_macros(archive, names: set[str]) -> bool:
    if any(name.lower().startswith(("basic/", "scripts/")) for name in names):
        return True
    if "META-INF/manifest.xml" in names and _ODF_SCRIPT.search(_read_entry(archive, "META-INF/manifest.xml")):
        return True
    return any(
        _entry_matches(archive, name, _ODF_MACRO_BINDING) for name in ("content.xml", "styles.xml") if name in names
    )


# --- text -------------------------------------------------------------------


def inspect_text(file):
    """Markup anywhere in the file, also after a BOM or a comment."""
    return TEXT_MARKUP if stream_search(file, MARKUP) is not None else None
