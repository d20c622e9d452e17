"""monitoring

Revision ID: 0006_monitoring
Revises: 0005_feeds
Create Date: 2026-11-21 05:36:45.071836

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0006_monitoring'
down_revision = '0005_feeds'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('measurements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('instrument', sa.String(length=16), nullable=False),
    sa.Column('timepoint', sa.String(length=16), nullable=True),
    sa.Column('values', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('item9', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_label', sa.String(length=254), nullable=False),
    sa.Column('amends_id', sa.Integer(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('correction_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['amends_id'], ['measurements.id'], name=op.f('fk_measurements_amends_id_measurements')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_measurements_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_measurements_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_measurements_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_measurements_series_id_series')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurements'))
    )
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measurements_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index('ix_measurements_patient_recorded', ['patient_id', 'recorded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_measurements_series_id'), ['series_id'], unique=False)

    op.create_table('rems_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_label', sa.String(length=254), nullable=False),
    sa.Column('confirmation', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_rems_forms_appointment_id_appointments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rems_forms')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_rems_forms_appointment_id'))
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('measurement_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_label', sa.String(length=254), nullable=True),
    sa.Column('acknowledgement_note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_alerts_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['measurement_id'], ['measurements.id'], name=op.f('fk_alerts_measurement_id_measurements')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_alerts_patient_id_patients')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_alerts_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_alerts_provider_open', ['provider_id', 'acknowledged_at'], unique=False)



def downgrade():
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_provider_open')
        batch_op.drop_index(batch_op.f('ix_alerts_patient_id'))

    op.drop_table('alerts')
    op.drop_table('rems_forms')
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measurements_series_id'))
        batch_op.drop_index('ix_measurements_patient_recorded')
        batch_op.drop_index(batch_op.f('ix_measurements_appointment_id'))

    op.drop_table('measurements')
