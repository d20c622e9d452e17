"""visit modality: a visit is in person or virtual, and a virtual one has a join link

Revision ID: 0015_visit_modality
Revises: 0014_questionnaire_link_uses
Create Date: 2026-12-09 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_visit_modality'
down_revision = '0014_questionnaire_link_uses'
branch_labels = None
depends_on = None

# The vocabulary as it stands in this revision (clinic.domain.visits.Modality).
MODALITIES = ('in_person', 'virtual')


def upgrade():
    # Every existing visit happened (or happens) in person: the server default fills the new column.
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('modality', sa.String(length=16), server_default='in_person', nullable=False))
        batch_op.add_column(sa.Column('join_url', sa.String(length=500), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_appointments_modality_valid'),
            'modality IN ({})'.format(', '.join(f"'{word}'" for word in MODALITIES)),
        )


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_appointments_modality_valid'), type_='check')
        batch_op.drop_column('join_url')
        batch_op.drop_column('modality')
