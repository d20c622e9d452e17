"""standing plans: a series' monitoring plan items are stored, and computed again when its facts change

Every existing series starts stale: its items are computed on the first read that needs them. An index on
appointments (provider, patient) lets the patients a provider treats be read from the index alone.

Revision ID: 0017_standing_plans
Revises: 0016_open_rems_forms
Create Date: 2026-12-07 04:16:30.169221

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017_standing_plans"
down_revision = "0016_open_rems_forms"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("upcoming_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_plan_items_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_plan_items_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_plan_items_series_id_series"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_items")),
        sa.UniqueConstraint("series_id", "key", name=op.f("uq_plan_items_series_id")),
    )
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.create_index("ix_plan_items_provider_deadline", ["provider_id", "deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_items_series_id"), ["series_id"], unique=False)

    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index("ix_appointments_provider_patient", ["provider_id", "patient_id"], unique=False)

    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_stale", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column("plan_active_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_series_plan_stale_provider",
            ["provider_id"],
            unique=False,
            postgresql_where=sa.text("plan_stale"),
            sqlite_where=sa.text("plan_stale"),
        )


def downgrade():
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_series_plan_stale_provider",
            postgresql_where=sa.text("plan_stale"),
            sqlite_where=sa.text("plan_stale"),
        )
        batch_op.drop_column("plan_active_until")
        batch_op.drop_column("plan_stale")

    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index("ix_appointments_provider_patient")

    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_items_series_id"))
        batch_op.drop_index("ix_plan_items_provider_deadline")

    op.drop_table("plan_items")
