"""transport

Revision ID: 0004_transport
Revises: 0003_reminders
Create Date: 2026-11-21 05:23:22.889568

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0004_transport'
down_revision = '0003_reminders'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('transports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=32), nullable=True),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_phone', sa.String(length=20), nullable=True),
    sa.Column('pickup_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_call_outcome', sa.String(length=32), nullable=True),
    sa.Column('last_call_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_label', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_transports_appointment_id_appointments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transports')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_transports_appointment_id'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('check_in_override_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('discharge_override_reason', sa.String(length=500), nullable=True))

    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('default_ride', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))


def downgrade():
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_column('default_ride')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('discharge_override_reason')
        batch_op.drop_column('check_in_override_reason')
        batch_op.drop_column('completed_at')
        batch_op.drop_column('checked_in_at')

    op.drop_table('transports')
