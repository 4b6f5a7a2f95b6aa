"""reuse: what a paper says about itself (number, issuer, issue date), and each reuse of a held paper

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reuseevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('document_pk', sa.Integer(), nullable=False),
    sa.Column('component', sa.String(length=255), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('officer', sa.String(length=255), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_pk'], ['document.id'], name=op.f('fk_reuseevent_document_pk_document')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_reuseevent_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reuseevent')),
    sa.UniqueConstraint('dossier_id', 'document_pk', 'component', name=op.f('uq_reuseevent_dossier_id_document_pk_component'))
    )
    with op.batch_alter_table('reuseevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reuseevent_document_pk'), ['document_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_reuseevent_dossier_id'), ['dossier_id'], unique=False)

    with op.batch_alter_table('reuseentry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('issuer', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('issued_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('valid_to_stated', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))



def downgrade() -> None:
    with op.batch_alter_table('reuseentry', schema=None) as batch_op:
        batch_op.drop_column('valid_to_stated')
        batch_op.drop_column('issued_on')
        batch_op.drop_column('issuer')
        batch_op.drop_column('number')

    with op.batch_alter_table('reuseevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reuseevent_dossier_id'))
        batch_op.drop_index(batch_op.f('ix_reuseevent_document_pk'))

    op.drop_table('reuseevent')
