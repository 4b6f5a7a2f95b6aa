"""document.indexed_at: an archived document whose index step has not finished is indexed again

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('indexed_at', sa.DateTime(timezone=True), nullable=True))
    # Documents archived before this column existed were indexed in the same run.
    op.execute("UPDATE document SET indexed_at = updated_at WHERE status = 'archived'")


def downgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('indexed_at')
