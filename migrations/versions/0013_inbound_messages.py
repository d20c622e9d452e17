"""inbound messages: texts patients send the clinic, kept once per provider message id

Revision ID: 0013_inbound_messages
Revises: 0012_feed_versions
Create Date: 2026-12-07 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_inbound_messages'
down_revision = '0012_feed_versions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    # The provider's id of the message (Twilio's MessageSid): a webhook delivered twice is stored once.
    sa.Column('provider_message_id', sa.String(length=64), nullable=False),
    sa.Column('from_number', sa.String(length=32), nullable=False),
    sa.Column('to_number', sa.String(length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('keyword', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_label', sa.String(length=254), nullable=True),
    sa.CheckConstraint("status IN ('open', 'handled')", name=op.f('ck_inbound_messages_status_valid')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_inbound_messages_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('provider_message_id', name=op.f('uq_inbound_messages_provider_message_id'))
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_messages_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_inbound_messages_status_received', ['status', 'received_at'], unique=False)


def downgrade():
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_messages_status_received')
        batch_op.drop_index(batch_op.f('ix_inbound_messages_patient_id'))
    op.drop_table('inbound_messages')
