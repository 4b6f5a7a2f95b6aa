"""submittedsignature: the signatures a submitted PDF carried, judged on arrival

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('submittedsignature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_pk', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('field_name', sa.String(length=128), nullable=False),
    sa.Column('signer', sa.String(length=255), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('intact', sa.Boolean(), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.Column('trusted', sa.Boolean(), nullable=False),
    sa.Column('chain_problem', sa.String(length=32), nullable=True),
    sa.Column('signing_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('timestamp_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('modification_level', sa.String(length=32), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_pk'], ['document.id'], name=op.f('fk_submittedsignature_document_pk_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submittedsignature')),
    sa.UniqueConstraint('document_pk', 'position', name=op.f('uq_submittedsignature_document_pk_position'))
    )
    with op.batch_alter_table('submittedsignature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submittedsignature_document_pk'), ['document_pk'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('submittedsignature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submittedsignature_document_pk'))
    op.drop_table('submittedsignature')
