"""A small streaming XLSX (SpreadsheetML) writer for the exports.

openpyxl's write-only mode is linear, but builds an element tree per cell
and serialises it through et_xmlfile in pure Python: seven times the CSV of
the same rows. An export needs far less of the format: sheets of rows, text
kept as text (inline strings), numbers, dates with a date format, a bold
header, wrapped text, column widths, a frozen header and an autofilter. This
module writes just that, as XML text straight into the zip entry, row by row.
The result is read back with openpyxl in the tests.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO
from xml.sax.saxutils import escape

# Cell styles (the cellXfs of styles.xml, in this order).
PLAIN, BOLD, DATE, WRAP, DATETIME = 0, 1, 2, 3, 4

_EPOCH = date(1899, 12, 30)
# Characters XML 1.0 does not allow; a user's text may carry them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="DD.MM.YYYY"/>\
<numFmt numFmtId="165" formatCode="DD.MM.YYYY HH:MM"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="5">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">\
<alignment wrapText="1" vertical="top"/></xf>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _text(value: str, style: int) -> str:
    text = escape(_NOT_XML.sub("", value))
    styled = f' s="{style}"' if style else ""
    return f'<c t="inlineStr"{styled}><is><t xml:space="preserve">{text}</t></is></c>'


def cell_xml(value, text_style: int = PLAIN) -> str:
    """One cell: text stays text (a leading "=" is never a formula here),
    numbers are numbers, dates are serial days with a date format."""
    if value is None:
        return "<c/>"
    if isinstance(value, str):
        return _text(value, text_style)
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f"<c><v>{value!r}</v></c>"
    if isinstance(value, datetime):
        day = (value.date() - _EPOCH).days
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return f'<c s="{DATETIME}"><v>{day + seconds / 86400!r}</v></c>'
    if isinstance(value, date):
        return f'<c s="{DATE}"><v>{(value - _EPOCH).days}</v></c>'
    return _text(str(value), text_style)


@dataclass
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence]
    widths: Sequence[int] = ()
    wrap: bool = False
    freeze_header: bool = True
    autofilter: bool = True
    bold_first_column: bool = False
    # Filled while writing: how many rows below the header were written.
    written: int = field(default=0, init=False)


def _sheet_name(title: str) -> str:
    # Excel's rules: at most 31 characters, none of []:*?/\ .
    return re.sub(r"[\[\]:*?/\\]", "-", title)[:31] or "Tabelle"


def _write_sheet(archive: zipfile.ZipFile, number: int, sheet: Sheet) -> None:
    text_style = WRAP if sheet.wrap else PLAIN
    with archive.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as raw:
        write = raw.write
        head = [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        ]
        if sheet.freeze_header:
            head.append(
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
            )
        if sheet.widths:
            head.append("<cols>")
            head.extend(
                f'<col min="{index}" max="{index}" width="{width}" customWidth="1"/>'
                for index, width in enumerate(sheet.widths, start=1)
            )
            head.append("</cols>")
        head.append("<sheetData>")
        row_number = 0
        if sheet.headers:
            row_number = 1
            head.append('<row r="1">')
            head.extend(_text(str(header), BOLD) for header in sheet.headers)
            head.append("</row>")
        write("".join(head).encode())
        buffer: list[str] = []
        for row in sheet.rows:
            row_number += 1
            if sheet.bold_first_column and row:
                cells = _text(str(row[0]), BOLD) + "".join(cell_xml(value, text_style) for value in row[1:])
            else:
                cells = "".join([cell_xml(value, text_style) for value in row])
            buffer.append(f'<row r="{row_number}">{cells}</row>')
            if len(buffer) >= 500:
                write("".join(buffer).encode())
                buffer.clear()
        write("".join(buffer).encode())
        tail = ["</sheetData>"]
        if sheet.autofilter and row_number > 1 and sheet.headers:
            tail.append(f'<autoFilter ref="A1:{column_letter(len(sheet.headers))}{row_number}"/>')
        tail.append("</worksheet>")
        write("".join(tail).encode())
        sheet.written = row_number - (1 if sheet.headers else 0)


def write_workbook(target: IO[bytes], sheets: list[Sheet]) -> None:
    """Write the sheets, in order, as one XLSX file into `target`."""
    names = [escape(_sheet_name(sheet.title), {'"': "&quot;"}) for sheet in sheets]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{number}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for number in range(1, len(sheets) + 1)
        )
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        sheet_entries = "".join(
            f'<sheet name="{name}" sheetId="{number}" r:id="rId{number}"/>'
            for number, name in enumerate(names, start=1)
        )
        filters = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{number - 1}" hidden="1">'
            f"'{name}'!$A$1:${column_letter(len(sheet.headers))}$1</definedName>"
            for number, (name, sheet) in enumerate(zip(names, sheets, strict=True), start=1)
            if sheet.autofilter and sheet.headers
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{sheet_entries}</sheets>"
            + (f"<definedNames>{filters}</definedNames>" if filters else "")
            + "</workbook>",
        )
        relationships = "".join(
            f'<Relationship Id="rId{number}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{number}.xml"/>'
            for number in range(1, len(sheets) + 1)
        )
        styles_id = len(sheets) + 1
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{relationships}"
            f'<Relationship Id="rId{styles_id}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
            'Target="styles.xml"/></Relationships>',
        )
        archive.writestr("xl/styles.xml", _STYLES)
        for number, sheet in enumerate(sheets, start=1):
            _write_sheet(archive, number, sheet)
