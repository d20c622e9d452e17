"""feeds

Revision ID: 0005_feeds
Revises: 0004_transport
Create Date: 2026-11-21 05:31:52.912581

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_feeds'
down_revision = '0004_transport'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_type', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_fetched_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_feed_tokens_token_hash'))
    )
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_feed_tokens_owner', ['owner_type', 'owner_id'], unique=False)

    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_alarms', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_full_names', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_column('feed_full_names')

    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_column('calendar_alarms')

    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_tokens_owner')

    op.drop_table('feed_tokens')
