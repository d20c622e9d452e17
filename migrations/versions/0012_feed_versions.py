"""feed versions: what each feed last showed, so SEQUENCE, LAST-MODIFIED and Last-Modified move on any
visible change, the same on every worker

Revision ID: 0012_feed_versions
Revises: 0011_clinic_setup_fields
Create Date: 2026-12-06 22:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_feed_versions'
down_revision = '0011_clinic_setup_fields'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        # Bumped whenever what the feed shows changes; part of every worker's render cache key.
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='0'))
        # SHA-256 of every event the feed showed last time, and when that last changed (Last-Modified).
        batch_op.add_column(sa.Column('content_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('feed_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feed_id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=100), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['feed_id'], ['feed_tokens.id'], name=op.f('fk_feed_entries_feed_id_feed_tokens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_entries')),
    sa.UniqueConstraint('feed_id', 'uid', name=op.f('uq_feed_entries_feed_id'))
    )


def downgrade():
    op.drop_table('feed_entries')
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.drop_column('changed_at')
        batch_op.drop_column('content_digest')
        batch_op.drop_column('revision')
