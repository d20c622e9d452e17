"""open REMS forms: a discharged Spravato session keeps a marker until its monitoring form is submitted

Revision ID: 0016_open_rems_forms
Revises: 0015_visit_modality
Create Date: 2026-12-07 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from clinic.domain.protocols import BUILTIN_PROTOCOLS, stored_protocol


# revision identifiers, used by Alembic.
revision = '0016_open_rems_forms'
down_revision = '0015_visit_modality'
branch_labels = None
depends_on = None

appointments = sa.table(
    'appointments',
    sa.column('id', sa.Integer),
    sa.column('kind', sa.String),
    sa.column('status', sa.String),
    sa.column('series_id', sa.Integer),
    sa.column('protocol_code', sa.String),
    sa.column('rems_form_open', sa.Boolean),
)
series = sa.table('series', sa.column('id', sa.Integer), sa.column('protocol_snapshot', sa.JSON))
protocols = sa.table('protocols', sa.column('code', sa.String), sa.column('definition', sa.JSON))
rems_forms = sa.table('rems_forms', sa.column('appointment_id', sa.Integer))
CHUNK = 5000


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rems_form_open', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_appointments_rems_form_open_patient', ['patient_id'], unique=False, postgresql_where=sa.text('rems_form_open'), sqlite_where=sa.text('rems_form_open'))
    _backfill()


def _backfill():
    """Open the form of every discharged session under the REMS without a submitted form, deciding what is
    under the REMS as the application does (the series' snapshot, else the protocol the dose was booked with)."""
    connection = op.get_bind()
    candidates = connection.execute(
        sa.select(appointments.c.id, appointments.c.series_id, appointments.c.protocol_code).where(
            appointments.c.kind == 'dose',
            appointments.c.status == 'completed',
            ~sa.exists().where(rems_forms.c.appointment_id == appointments.c.id),
        )
    ).all()
    if not candidates:
        return
    snapshots = {
        row.id: row.protocol_snapshot
        for row in connection.execute(
            sa.select(series.c.id, series.c.protocol_snapshot).where(
                series.c.id.in_({c.series_id for c in candidates if c.series_id is not None})
            )
        )
    }
    definitions = {row.code: row.definition for row in connection.execute(sa.select(protocols.c.code, protocols.c.definition))}

    def under_rems(series_id, code):
        if series_id is not None:
            spec = stored_protocol(snapshots[series_id])
        elif code in BUILTIN_PROTOCOLS:
            spec = BUILTIN_PROTOCOLS[code]
        elif code in definitions:
            spec = stored_protocol(definitions[code])
        else:
            return False
        return spec.rems_required

    ids = [c.id for c in candidates if under_rems(c.series_id, c.protocol_code)]
    for first in range(0, len(ids), CHUNK):
        connection.execute(
            appointments.update().where(appointments.c.id.in_(ids[first : first + CHUNK])).values(rems_form_open=True)
        )


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_rems_form_open_patient', postgresql_where=sa.text('rems_form_open'), sqlite_where=sa.text('rems_form_open'))
        batch_op.drop_column('rems_form_open')
