"""open doses index

Revision ID: 0007_open_doses_index
Revises: 0006_monitoring
Create Date: 2026-11-21 06:15:58.112174

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_open_doses_index'
down_revision = '0006_monitoring'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index('ix_appointments_open_doses_start', ['start_at'], unique=False, postgresql_where=sa.text("kind = 'dose' AND status IN ('scheduled', 'confirmed')"), sqlite_where=sa.text("kind = 'dose' AND status IN ('scheduled', 'confirmed')"))



def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_open_doses_start', postgresql_where=sa.text("kind = 'dose' AND status IN ('scheduled', 'confirmed')"), sqlite_where=sa.text("kind = 'dose' AND status IN ('scheduled', 'confirmed')"))

