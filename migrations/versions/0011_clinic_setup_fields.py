"""clinic setup fields: a location's public name and locale, a patient's emergency contact, default ride
and notes

Revision ID: 0011_clinic_setup_fields
Revises: 0010_dose_confirmation
Create Date: 2026-12-06 19:05:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0011_clinic_setup_fields'
down_revision = '0010_dose_confirmation'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('locations', schema=None) as batch_op:
        # The name patients see in messages and feeds: neutral, never the treatment.
        batch_op.add_column(sa.Column('public_name', sa.String(length=200), nullable=False, server_default=''))
        # How times, dates and phone numbers are shown for the location (a CLDR locale such as en_US).
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=False, server_default='en_US'))
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emergency_contact_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('emergency_contact_phone', sa.String(length=20), nullable=True))
        # The ride a new dosing visit gets when neither it nor its series has one: {mode, contact_name,
        # contact_phone}.
        batch_op.add_column(sa.Column('default_ride', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_column('notes')
        batch_op.drop_column('default_ride')
        batch_op.drop_column('emergency_contact_phone')
        batch_op.drop_column('emergency_contact_name')
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_column('locale')
        batch_op.drop_column('public_name')
