"""document_pk: columns that point at a document row say so (document_id is the public id)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# table → (indexed, columns of its unique constraint after the foreign key, or None)
_TABLES = {
    'stepevent': (True, None),
    'documentidentifier': (True, ('kind', 'value')),
    'reuseentry': (False, ()),
}


def _rename(old: str, new: str) -> None:
    for table, (indexed, unique) in _TABLES.items():
        nullable = table == 'stepevent'
        with op.batch_alter_table(table, schema=None) as batch_op:
            if indexed:
                batch_op.drop_index(f'ix_{table}_{old}')
            if unique is not None:
                batch_op.drop_constraint('_'.join(('uq', table, old, *unique)), type_='unique')
            batch_op.drop_constraint(f'fk_{table}_{old}_document', type_='foreignkey')
            batch_op.alter_column(old, new_column_name=new, existing_type=sa.Integer(),
                                  existing_nullable=nullable)
        # a second pass: in one batch, SQLite's table copy does not know the new name yet
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(f'fk_{table}_{new}_document', 'document', [new], ['id'])
            if unique is not None:
                batch_op.create_unique_constraint('_'.join(('uq', table, new, *unique)),
                                                  [new, *unique])
            if indexed:
                batch_op.create_index(f'ix_{table}_{new}', [new], unique=False)


def upgrade() -> None:
    _rename('document_id', 'document_pk')


def downgrade() -> None:
    _rename('document_pk', 'document_id')
