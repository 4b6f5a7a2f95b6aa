"""intake rounds: the watcher's memory of the intake bucket, and exactly-once runs

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('intakeround',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_code', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rung_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('worker', sa.String(length=128), nullable=True),
    sa.Column('flow_run_id', sa.String(length=64), nullable=True),
    sa.Column('error', sa.String(length=2000), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intakeround')),
    sa.UniqueConstraint('dossier_code', 'number', name=op.f('uq_intakeround_dossier_code_number'))
    )
    with op.batch_alter_table('intakeround', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intakeround_dossier_code'), ['dossier_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_intakeround_state'), ['state'], unique=False)

    op.create_table('intakedrop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=1024), nullable=False),
    sa.Column('etag', sa.String(length=128), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('dossier_code', sa.String(length=64), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('round_pk', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['round_pk'], ['intakeround.id'], name=op.f('fk_intakedrop_round_pk_intakeround')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intakedrop')),
    sa.UniqueConstraint('key', 'etag', 'modified_at', name=op.f('uq_intakedrop_key_etag_modified_at'))
    )
    with op.batch_alter_table('intakedrop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intakedrop_dossier_code'), ['dossier_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_intakedrop_round_pk'), ['round_pk'], unique=False)

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_round', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('intake_round')
    with op.batch_alter_table('intakedrop', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intakedrop_round_pk'))
        batch_op.drop_index(batch_op.f('ix_intakedrop_dossier_code'))
    op.drop_table('intakedrop')
    with op.batch_alter_table('intakeround', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intakeround_state'))
        batch_op.drop_index(batch_op.f('ix_intakeround_dossier_code'))
    op.drop_table('intakeround')
