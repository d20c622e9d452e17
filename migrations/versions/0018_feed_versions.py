"""feed versions kept on write: one row per feed owner, bumped in the transaction that changes what its feed
shows, so a fetch reads one row instead of digesting every visit behind the feed

Revision ID: 0018_feed_versions
Revises: 0017_standing_plans
Create Date: 2026-12-07 08:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_feed_versions"
down_revision = "0017_standing_plans"
branch_labels = None
depends_on = None


def upgrade():
    # No rows: a missing row reads as version 0, and every feed's render cache starts empty anyway.
    op.create_table(
        "feed_versions",
        sa.Column("owner_type", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("owner_type", "owner_id", name=op.f("pk_feed_versions")),
    )


def downgrade():
    op.drop_table("feed_versions")
