"""search: an archived document's text and its search copies, indexed for full-text search by
each backend its own way (SQLite: an FTS5 table; PostgreSQL: GIN indexes on tsvectors)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The words are cut by motcua (motcua/core/searchtext.py) and separated by spaces, so both
# backends only split on spaces: FTS5's unicode61 keeps diacritics (remove_diacritics 0: a query
# without tone marks must not find accented text unless it asks to fold), PostgreSQL's 'simple'
# configuration neither stems nor drops stop words.
FTS5 = ("CREATE VIRTUAL TABLE documentsearch USING fts5("
        "words, folded, tokenize = 'unicode61 remove_diacritics 0')")
PG_INDEXES = {"ix_documenttext_words_tsv": "words", "ix_documenttext_folded_tsv": "folded"}
# On PostgreSQL the tsvectors are stored (generated) columns: ranking reads them instead of
# parsing every matching text again.


def upgrade() -> None:
    op.create_table('documenttext',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_pk', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('words', sa.Text(), nullable=False),
    sa.Column('folded', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_pk'], ['document.id'], name=op.f('fk_documenttext_document_pk_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documenttext')),
    sa.UniqueConstraint('document_pk', name=op.f('uq_documenttext_document_pk'))
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(FTS5)
    elif dialect == "postgresql":
        for name, column in PG_INDEXES.items():
            op.execute(f"ALTER TABLE documenttext ADD COLUMN {column}_tsv tsvector "
                       f"GENERATED ALWAYS AS (to_tsvector('simple', {column})) STORED")
            op.execute(f"CREATE INDEX {name} ON documenttext USING gin ({column}_tsv)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE documentsearch")
    elif dialect == "postgresql":
        for name, column in PG_INDEXES.items():
            op.execute(f"DROP INDEX {name}")
            op.execute(f"ALTER TABLE documenttext DROP COLUMN {column}_tsv")
    op.drop_table('documenttext')
