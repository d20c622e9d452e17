"""dose prescriber confirmation

Revision ID: 0010_dose_confirmation
Revises: 0009_visit_lifecycle
Create Date: 2026-12-06 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_dose_confirmation'
down_revision = '0009_visit_lifecycle'
branch_labels = None
depends_on = None


def upgrade():
    # Who confirmed a dose given after a blood pressure above the protocol's confirmation limit.
    with op.batch_alter_table('doses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prescriber_confirmation', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('doses', schema=None) as batch_op:
        batch_op.drop_column('prescriber_confirmation')
