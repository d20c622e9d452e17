"""questionnaire link uses: the stored mark that a questionnaire link was used, once per link

Revision ID: 0014_questionnaire_link_uses
Revises: 0013_inbound_messages
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0014_questionnaire_link_uses'
down_revision = '0013_inbound_messages'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('questionnaire_link_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    # SHA-256 (hex) of the link's token: unique, so one link saves answers once.
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('measurement_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_questionnaire_link_uses_appointment_id_appointments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_link_uses')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_questionnaire_link_uses_token_digest'))
    )
    with op.batch_alter_table('questionnaire_link_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_link_uses_appointment_id'), ['appointment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('questionnaire_link_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_link_uses_appointment_id'))
    op.drop_table('questionnaire_link_uses')
