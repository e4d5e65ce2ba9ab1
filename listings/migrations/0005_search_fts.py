"""The full-text table of the embedded search backend (listings.search.database).

SQLite only: an FTS5 table of folded text whose rowid is the listing id. On other databases nothing is
created here (the PostgreSQL variant is not implemented yet; see docs/search.md). The DDL is frozen
here; ``search_reindex`` recreates the table from the current code.
"""

from django.db import migrations

DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS listings_search_fts USING fts5("
    "title, keywords, summary, body, org, place, "
    "kind UNINDEXED, stamp UNINDEXED, published_ts UNINDEXED, completeness UNINDEXED, "
    "sort_vi UNINDEXED, sort_en UNINDEXED, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(DDL)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS listings_search_fts")


class Migration(migrations.Migration):
    dependencies = [("listings", "0004_public_site_models")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
