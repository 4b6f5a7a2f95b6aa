"""intakeround.heartbeat_at: a running round's last sign of life, so that a round whose worker
died is handed to the workers again

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('intakeround', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('intakeround', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
