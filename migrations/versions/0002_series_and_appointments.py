"""series and appointments

Revision ID: 0002_series
Revises: 0001_foundation
Create Date: 2026-11-21 05:03:00.509579

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0002_series'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('protocols',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('builtin', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocols')),
    sa.UniqueConstraint('code', name=op.f('uq_protocols_code'))
    )
    op.create_table('series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('protocol_id', sa.Integer(), nullable=False),
    sa.Column('parameters', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('protocol_snapshot', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rems_override_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_series_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_series_location_id_locations')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_series_patient_id_patients')),
    sa.ForeignKeyConstraint(['protocol_id'], ['protocols.id'], name=op.f('fk_series_protocol_id_protocols')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_series_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_series'))
    )
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_series_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_series_provider_id'), ['provider_id'], unique=False)

    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=100), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('dose_number', sa.Integer(), nullable=True),
    sa.Column('phase_index', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('chair_id', sa.Integer(), nullable=True),
    sa.Column('protocol_code', sa.String(length=64), nullable=True),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('planning_note', sa.String(length=500), nullable=False),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['chair_id'], ['chairs.id'], name=op.f('fk_appointments_chair_id_chairs')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_appointments_location_id_locations')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_appointments_patient_id_patients')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_appointments_provider_id_providers')),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_appointments_series_id_series')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments')),
    sa.UniqueConstraint('uid', name=op.f('uq_appointments_uid'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index('ix_appointments_chair_start', ['chair_id', 'start_at'], unique=False)
        batch_op.create_index('ix_appointments_location_start', ['location_id', 'start_at'], unique=False)
        batch_op.create_index('ix_appointments_patient_start', ['patient_id', 'start_at'], unique=False)
        batch_op.create_index('ix_appointments_provider_start', ['provider_id', 'start_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_series_id'), ['series_id'], unique=False)

    _seed_builtin_protocols()
    _guard_chairs_against_double_booking()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE appointments DROP CONSTRAINT IF EXISTS ex_appointments_chair_time")
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointments_series_id'))
        batch_op.drop_index('ix_appointments_provider_start')
        batch_op.drop_index('ix_appointments_patient_start')
        batch_op.drop_index('ix_appointments_location_start')
        batch_op.drop_index('ix_appointments_chair_start')

    op.drop_table('appointments')
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_series_provider_id'))
        batch_op.drop_index(batch_op.f('ix_series_patient_id'))

    op.drop_table('series')
    op.drop_table('protocols')


# The built-in protocols as they were defined when this revision was written. A migration is a snapshot:
# later revisions change these rows, never this literal. tests/models/test_protocols.py checks the rows
# still match clinic.domain.protocols.BUILTIN_PROTOCOLS.
BUILTIN_DEFINITIONS = {'spravato-induction': {'code': 'spravato-induction',
                        'name': 'Spravato induction',
                        'drug': 'esketamine',
                        'chair_kind': 'spravato_room',
                        'phases': [{'doses': 8,
                                    'per_week': 2,
                                    'min_gap_days': 3,
                                    'day_offsets': [0, 3],
                                    'every_weeks': 1},
                                   {'doses': 4,
                                    'per_week': 1,
                                    'min_gap_days': 5,
                                    'day_offsets': [0],
                                    'every_weeks': 1}],
                        'check_in_minutes': 15,
                        'dosing_minutes': 15,
                        'monitoring_minutes': 120,
                        'needs_ride': True,
                        'fasting_food_minutes': 120,
                        'fasting_liquid_minutes': 30,
                        'rems_required': True,
                        'follow_ups': [{'days_after_last_dose': 7, 'duration_minutes': 30},
                                       {'days_after_last_dose': 28, 'duration_minutes': 30}],
                        'max_span_days': None,
                        'no_consecutive_days': False,
                        'parameters': []},
 'spravato-maintenance': {'code': 'spravato-maintenance',
                          'name': 'Spravato maintenance',
                          'drug': 'esketamine',
                          'chair_kind': 'spravato_room',
                          'phases': [{'doses': 4,
                                      'per_week': 1,
                                      'min_gap_days': 5,
                                      'day_offsets': [0],
                                      'every_weeks': 1}],
                          'check_in_minutes': 15,
                          'dosing_minutes': 15,
                          'monitoring_minutes': 120,
                          'needs_ride': True,
                          'fasting_food_minutes': 120,
                          'fasting_liquid_minutes': 30,
                          'rems_required': True,
                          'follow_ups': [],
                          'max_span_days': None,
                          'no_consecutive_days': False,
                          'parameters': [{'name': 'interval_weeks',
                                          'default': 1,
                                          'minimum': 1,
                                          'maximum': 2,
                                          'description': '1 = weekly, 2 = every other week'},
                                         {'name': 'doses',
                                          'default': 4,
                                          'minimum': 1,
                                          'maximum': 52,
                                          'description': 'Number of maintenance doses to plan'}]},
 'iv-ketamine-induction': {'code': 'iv-ketamine-induction',
                           'name': 'IV ketamine induction',
                           'drug': 'ketamine',
                           'chair_kind': 'infusion_chair',
                           'phases': [{'doses': 6,
                                       'per_week': 3,
                                       'min_gap_days': 2,
                                       'day_offsets': [0, 2, 4],
                                       'every_weeks': 1}],
                           'check_in_minutes': 15,
                           'dosing_minutes': 40,
                           'monitoring_minutes': 60,
                           'needs_ride': True,
                           'fasting_food_minutes': 360,
                           'fasting_liquid_minutes': 120,
                           'rems_required': False,
                           'follow_ups': [{'days_after_last_dose': 7, 'duration_minutes': 30},
                                          {'days_after_last_dose': 28, 'duration_minutes': 30}],
                           'max_span_days': 21,
                           'no_consecutive_days': True,
                           'parameters': [{'name': 'fasting_food_minutes',
                                           'default': 360,
                                           'minimum': 0,
                                           'maximum': 1440,
                                           'description': 'No food for this many minutes before the '
                                                          'infusion'},
                                          {'name': 'fasting_liquid_minutes',
                                           'default': 120,
                                           'minimum': 0,
                                           'maximum': 1440,
                                           'description': 'No liquids for this many minutes before the '
                                                          'infusion'}]},
 'iv-ketamine-booster': {'code': 'iv-ketamine-booster',
                         'name': 'IV ketamine booster',
                         'drug': 'ketamine',
                         'chair_kind': 'infusion_chair',
                         'phases': [{'doses': 1,
                                     'per_week': 1,
                                     'min_gap_days': 1,
                                     'day_offsets': [0],
                                     'every_weeks': 1}],
                         'check_in_minutes': 15,
                         'dosing_minutes': 40,
                         'monitoring_minutes': 60,
                         'needs_ride': True,
                         'fasting_food_minutes': 360,
                         'fasting_liquid_minutes': 120,
                         'rems_required': False,
                         'follow_ups': [],
                         'max_span_days': None,
                         'no_consecutive_days': True,
                         'parameters': [{'name': 'fasting_food_minutes',
                                         'default': 360,
                                         'minimum': 0,
                                         'maximum': 1440,
                                         'description': 'No food for this many minutes before the '
                                                        'infusion'},
                                        {'name': 'fasting_liquid_minutes',
                                         'default': 120,
                                         'minimum': 0,
                                         'maximum': 1440,
                                         'description': 'No liquids for this many minutes before the '
                                                        'infusion'}]}}
SEEDED_AT = datetime(2026, 11, 21, tzinfo=timezone.utc)


def _seed_builtin_protocols():
    protocols = sa.table(
        "protocols",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("definition", sa.JSON),
        sa.column("builtin", sa.Boolean),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    created_at = SEEDED_AT if op.get_bind().dialect.name == "postgresql" else SEEDED_AT.replace(tzinfo=None)
    op.bulk_insert(
        protocols,
        [
            {"code": code, "name": definition["name"], "definition": definition, "builtin": True,
             "active": True, "created_at": created_at}
            for code, definition in BUILTIN_DEFINITIONS.items()
        ],
    )


def _guard_chairs_against_double_booking():
    """On PostgreSQL the database itself refuses two visits holding one chair at overlapping times.

    SQLite has no exclusion constraints; there every write transaction starts with BEGIN IMMEDIATE, so
    bookings are serialised and the booking service's own check sees every earlier booking.
    """
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_chair_time "
        "EXCLUDE USING gist (chair_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
        "WHERE (chair_id IS NOT NULL AND status IN ('scheduled', 'confirmed', 'checked_in', 'completed'))"
    )
