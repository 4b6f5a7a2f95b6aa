"""initial schema: dossiers, documents, step events, identifiers, reuse index

Revision ID: 0001
Revises: 
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dossier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('agency_code', sa.String(length=16), nullable=False),
    sa.Column('agency_name', sa.String(length=255), nullable=False),
    sa.Column('applicant_id', sa.String(length=32), nullable=True),
    sa.Column('applicant_name', sa.String(length=255), nullable=True),
    sa.Column('procedure_code', sa.String(length=32), nullable=True),
    sa.Column('procedure_name', sa.String(length=255), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier'))
    )
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossier_code'), ['code'], unique=True)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('source_name', sa.String(length=255), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_bytes', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('doc_type', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('ocr_confidence', sa.Float(), nullable=True),
    sa.Column('flags', sa.String(length=255), nullable=False),
    sa.Column('signature_level', sa.String(length=8), nullable=True),
    sa.Column('signer', sa.String(length=255), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('archive_key', sa.String(length=255), nullable=True),
    sa.Column('archive_version_id', sa.String(length=128), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('retain_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason_code', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.String(length=2000), nullable=True),
    sa.Column('quarantine_key', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_document_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('archive_key', name=op.f('uq_document_archive_key')),
    sa.UniqueConstraint('document_id', name=op.f('uq_document_document_id')),
    sa.UniqueConstraint('dossier_id', 'source_sha256', name=op.f('uq_document_dossier_id_source_sha256'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_status'), ['status'], unique=False)

    op.create_table('documentidentifier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_documentidentifier_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documentidentifier')),
    sa.UniqueConstraint('document_id', 'kind', 'value', name=op.f('uq_documentidentifier_document_id_kind_value'))
    )
    with op.batch_alter_table('documentidentifier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documentidentifier_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documentidentifier_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_documentidentifier_value'), ['value'], unique=False)

    op.create_table('reuseentry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.String(length=32), nullable=False),
    sa.Column('doc_type', sa.String(length=64), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('archive_key', sa.String(length=255), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_reuseentry_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reuseentry')),
    sa.UniqueConstraint('document_id', name=op.f('uq_reuseentry_document_id'))
    )
    with op.batch_alter_table('reuseentry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reuseentry_doc_type'), ['doc_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_reuseentry_subject_id'), ['subject_id'], unique=False)

    op.create_table('stepevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('flow_run_id', sa.String(length=64), nullable=True),
    sa.Column('task_run_id', sa.String(length=64), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_stepevent_document_id_document')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_stepevent_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stepevent'))
    )
    with op.batch_alter_table('stepevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stepevent_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stepevent_dossier_id'), ['dossier_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stepevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stepevent_dossier_id'))
        batch_op.drop_index(batch_op.f('ix_stepevent_document_id'))

    op.drop_table('stepevent')
    with op.batch_alter_table('reuseentry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reuseentry_subject_id'))
        batch_op.drop_index(batch_op.f('ix_reuseentry_doc_type'))

    op.drop_table('reuseentry')
    with op.batch_alter_table('documentidentifier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documentidentifier_value'))
        batch_op.drop_index(batch_op.f('ix_documentidentifier_kind'))
        batch_op.drop_index(batch_op.f('ix_documentidentifier_document_id'))

    op.drop_table('documentidentifier')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_status'))
        batch_op.drop_index(batch_op.f('ix_document_dossier_id'))

    op.drop_table('document')
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_code'))
        batch_op.drop_index(batch_op.f('ix_dossier_applicant_id'))

    op.drop_table('dossier')
