"""CSV cells a spreadsheet cannot run: formula starts get an apostrophe, numbers stay numbers."""

import csv
import io
from decimal import Decimal

import pytest

from clinic.domain.csv_cells import csv_document, neutral_cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
        ("+1-2", "'+1-2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),  # a fullwidth equals sign
        ("Ines Alvarez", "Ines Alvarez"),
        ("O'Brien = friend", "O'Brien = friend"),  # a sign inside the text is harmless
        ("", ""),
    ],
)
def test_text_a_spreadsheet_would_run_is_written_as_text(value, written):
    assert neutral_cell(value) == written


@pytest.mark.parametrize(
    ("value", "written"),
    [(-5, "-5"), (12, "12"), (Decimal("-56.0"), "-56.0"), (None, ""), (True, "yes"), (False, "no")],
)
def test_numbers_stay_numbers_and_empty_stays_empty(value, written):
    assert neutral_cell(value) == written


def test_a_document_has_a_byte_order_mark_and_reads_back_with_the_csv_module():
    text = csv_document(["Patient", "Dose"], [["=1+1", 3], ['Noor "N" Haddad, Jr.', None], ["Zoë", -1]])
    assert text.startswith("\ufeff") and text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows == [["Patient", "Dose"], ["'=1+1", "3"], ['Noor "N" Haddad, Jr.', ""], ["Zoë", "-1"]]
    assert text.splitlines()[1] == '"\'=1+1","3"'  # every cell quoted
