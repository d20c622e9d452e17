"""docs/security.md shows the access policy the code enforces, not an older copy of it."""

from pathlib import Path

from clinic.domain.policy import policy_table_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_the_documented_policy_table_is_the_one_in_the_code():
    text = DOC.read_text()
    start = text.index("<!-- policy-table:start -->\n") + len("<!-- policy-table:start -->\n")
    end = text.index("<!-- policy-table:end -->")
    assert text[start:end].strip() == policy_table_markdown().strip()
