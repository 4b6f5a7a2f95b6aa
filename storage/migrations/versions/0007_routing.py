"""routing: a dossier's status, its handoffs between units, and every change of status

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('handoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('from_unit', sa.String(length=32), nullable=False),
    sa.Column('to_unit', sa.String(length=32), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('step', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_by', sa.String(length=255), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_by', sa.String(length=255), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_handoff_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff')),
    sa.UniqueConstraint('dossier_id', 'seq', name=op.f('uq_handoff_dossier_id_seq'))
    )
    with op.batch_alter_table('handoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_to_unit'), ['to_unit'], unique=False)

    op.create_table('statuschange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=24), nullable=True),
    sa.Column('to_status', sa.String(length=24), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=True),
    sa.Column('officer', sa.String(length=255), nullable=True),
    sa.Column('reason', sa.String(length=2000), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_statuschange_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statuschange'))
    )
    with op.batch_alter_table('statuschange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statuschange_dossier_id'), ['dossier_id'], unique=False)

    with op.batch_alter_table('dossier', schema=None) as batch_op:
        # existing dossiers were received and have not moved since: nothing could move them
        batch_op.add_column(sa.Column('status', sa.String(length=24), nullable=False,
                                      server_default='received'))
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_dossier_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_status'))
        batch_op.drop_column('returned_at')
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('status')

    with op.batch_alter_table('statuschange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statuschange_dossier_id'))

    op.drop_table('statuschange')
    with op.batch_alter_table('handoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_to_unit'))
        batch_op.drop_index(batch_op.f('ix_handoff_dossier_id'))

    op.drop_table('handoff')
