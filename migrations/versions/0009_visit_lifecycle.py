"""visit lifecycle: status vocabularies as CHECK constraints, the dose record of a dosing session

Revision ID: 0009_visit_lifecycle
Revises: 0008_ride_link_confirmation
Create Date: 2027-01-04 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0009_visit_lifecycle'
down_revision = '0008_ride_link_confirmation'
branch_labels = None
depends_on = None

# The vocabularies as they stand in this revision (clinic.domain.visits, .transport, .reminders); a later
# change of a vocabulary writes its own migration.
VOCABULARIES = {
    'appointments': ('scheduled', 'confirmed', 'checked_in', 'completed', 'cancelled', 'no_show'),
    'transports': ('missing', 'arranged', 'confirmed', 'verified'),
    'reminders': ('pending', 'sent', 'failed', 'cancelled', 'skipped'),
    'series': ('active', 'cancelled'),
}


def _words(values):
    return ', '.join(f"'{value}'" for value in values)


def upgrade():
    for table, words in VOCABULARIES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f'ck_{table}_status_valid'), f'status IN ({_words(words)})')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discharge_overrides', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('dose_given_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('doses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('dose_mg', sa.Numeric(precision=6, scale=1), nullable=False),
    sa.Column('devices', sa.Integer(), nullable=True),
    sa.Column('lot_number', sa.String(length=64), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_label', sa.String(length=254), nullable=False),
    sa.Column('amends_id', sa.Integer(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('correction_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['amends_id'], ['doses.id'], name=op.f('fk_doses_amends_id_doses')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_doses_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_doses_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_doses_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_doses'))
    )
    with op.batch_alter_table('doses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_doses_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_doses_patient_id'), ['patient_id'], unique=False)


def downgrade():
    with op.batch_alter_table('doses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_doses_patient_id'))
        batch_op.drop_index(batch_op.f('ix_doses_appointment_id'))
    op.drop_table('doses')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('dose_given_at')
        batch_op.drop_column('discharge_overrides')

    for table in VOCABULARIES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_status_valid'), type_='check')
