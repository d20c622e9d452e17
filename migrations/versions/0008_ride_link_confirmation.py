"""ride link confirmation

Revision ID: 0008_ride_link_confirmation
Revises: 0007_open_doses_index
Create Date: 2026-12-01 23:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_ride_link_confirmation'
down_revision = '0007_open_doses_index'
branch_labels = None
depends_on = None


def upgrade():
    # When the patient confirmed the ride through a ride link; a link confirms once.
    with op.batch_alter_table('transports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_via_link_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('transports', schema=None) as batch_op:
        batch_op.drop_column('confirmed_via_link_at')
