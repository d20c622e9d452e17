"""CSV documents a spreadsheet opens safely: a cell it would run as a formula is written as text.

Excel, LibreOffice and Google Sheets treat a cell starting with `=`, `+`, `-` or `@` as a formula (a tab or a
carriage return in front is dropped before the check), so a patient registered as `=HYPERLINK(...)` would run
on the computer of whoever opens the export. Following OWASP's guidance on CSV injection, such a cell gets a
leading apostrophe, which spreadsheets show as text and do not display, every cell is quoted, and quotes
inside a cell are doubled. Numbers that are numbers (an int, a Decimal) stay numbers: `-5` is not a formula.
The fullwidth forms of the four signs are neutralised too, as some spreadsheets fold them to the ASCII ones.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
NEUTRALISER = "'"
BYTE_ORDER_MARK = "\ufeff"


def neutral_cell(value: object) -> str:
    """The text of one cell: empty for None, "yes"/"no" for a boolean, a number as written, and any other
    text with an apostrophe in front when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | Decimal):
        return str(value)
    text = str(value)
    return NEUTRALISER + text if text.startswith(FORMULA_STARTS) else text


def csv_document(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The CSV text of a table, every cell neutralised and quoted, lines ended with CRLF (RFC 4180), opened
    by a byte order mark so Excel reads the UTF-8 (accented names) right."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([neutral_cell(name) for name in header])
    writer.writerows([neutral_cell(value) for value in row] for row in rows)
    return BYTE_ORDER_MARK + out.getvalue()
