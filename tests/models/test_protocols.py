from sqlalchemy import select

from clinic.domain.protocols import BUILTIN_PROTOCOLS
from clinic.extensions import db
from clinic.models.protocol import Protocol


def test_seeded_builtin_protocols_match_the_domain_definitions(app_ctx):
    rows = {row.code: row for row in db.session.scalars(select(Protocol).where(Protocol.builtin.is_(True)))}
    assert set(rows) == set(BUILTIN_PROTOCOLS)
    for code, spec in BUILTIN_PROTOCOLS.items():
        assert rows[code].spec() == spec, f"the stored {code} differs from clinic.domain.protocols"
