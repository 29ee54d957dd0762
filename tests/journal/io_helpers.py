"""Files for the import and export tests: CSV and XLSX built in memory."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from journal.imports import HEADERS


def csv_file(rows, *, headers=HEADERS, delimiter=";", bom=True, encoding="utf-8", name="journal.csv"):
    """A CSV upload: `rows` are dicts by header (missing cells empty) or lists."""
    lines = [delimiter.join(headers)]
    for row in rows:
        cells = [row.get(header, "") for header in headers] if isinstance(row, dict) else row
        lines.append(delimiter.join(_quoted(str(cell), delimiter) for cell in cells))
    text = "\r\n".join(lines) + "\r\n"
    content = ("\ufeff" if bom else "") + text
    return SimpleUploadedFile(name, content.encode(encoding), content_type="text/csv")


def _quoted(cell: str, delimiter: str) -> str:
    if delimiter in cell or '"' in cell or "\n" in cell or ("," in cell and delimiter != ","):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def xlsx_file(rows, *, headers=HEADERS, name="journal.xlsx"):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append([row.get(header) for header in headers] if isinstance(row, dict) else list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def upload_of(filename: str, content: bytes, name: str | None = None):
    return SimpleUploadedFile(name or filename, content)
