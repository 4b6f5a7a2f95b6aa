"""kpi: dossier records from the one-stop system, KPI snapshots, period indexes

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kpisnapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('date_from', sa.Date(), nullable=False),
    sa.Column('date_to', sa.Date(), nullable=False),
    sa.Column('agency_code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=48), nullable=False),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('met', sa.Boolean(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpisnapshot')),
    sa.UniqueConstraint('period', 'date_from', 'date_to', 'agency_code', 'name', name=op.f('uq_kpisnapshot_period_date_from_date_to_agency_code_name'))
    )
    with op.batch_alter_table('kpisnapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpisnapshot_name'), ['name'], unique=False)

    op.create_table('dossierrecord',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('intake_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('desk_officer', sa.String(length=255), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('components', sa.Integer(), nullable=True),
    sa.Column('components_digitized', sa.Integer(), nullable=True),
    sa.Column('components_reused', sa.Integer(), nullable=True),
    sa.Column('components_reused_national', sa.Integer(), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('handoffs_electronic', sa.Integer(), nullable=True),
    sa.Column('handoffs_paper', sa.Integer(), nullable=True),
    sa.Column('source_file', sa.String(length=255), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_dossierrecord_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossierrecord')),
    sa.UniqueConstraint('dossier_id', name=op.f('uq_dossierrecord_dossier_id'))
    )
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        # every dossier so far was received by motcua itself
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=False,
                                      server_default='motcua'))
        batch_op.create_index(batch_op.f('ix_dossier_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossier_resolved_at'), ['resolved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossier_returned_at'), ['returned_at'], unique=False)

    with op.batch_alter_table('stepevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stepevent_started_at'), ['started_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stepevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stepevent_started_at'))

    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_returned_at'))
        batch_op.drop_index(batch_op.f('ix_dossier_resolved_at'))
        batch_op.drop_index(batch_op.f('ix_dossier_received_at'))
        batch_op.drop_column('source')

    op.drop_table('dossierrecord')
    with op.batch_alter_table('kpisnapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpisnapshot_name'))

    op.drop_table('kpisnapshot')
