"""SQLite: the ranking boosts' inputs (``published_ts``, ``completeness``) in a narrow rowid table beside
the FTS5 table.

Reading an FTS5 UNINDEXED column costs a content-table lookup per matching row, which made the boosts
the largest part of a broad query's time (docs/benchmarks.md); a rowid table is read far faster. The
FTS table keeps its columns (``search_reindex`` rebuilds both from the current code); this copies the
values already indexed so ranking keeps working without a reindex. PostgreSQL keeps the values as
plain columns of its search table and needs nothing.

SQLite also gets the facets' covering index of 0007 again with ``origin`` added: the one-pass facet
query reads that column too, and without it every matching listing's wide row was read.
"""

from django.db import migrations

SQLITE = [
    "CREATE TABLE IF NOT EXISTS listings_search_fts_boost (rowid INTEGER PRIMARY KEY, "
    "published_ts REAL NOT NULL, completeness REAL NOT NULL)",
    "INSERT OR REPLACE INTO listings_search_fts_boost (rowid, published_ts, completeness) "
    "SELECT rowid, published_ts, completeness FROM listings_search_fts",
    "DROP INDEX IF EXISTS listings_listing_search_facets",
    "CREATE INDEX listings_listing_search_facets ON listings_listing "
    "(id, state, kind, trl, province_id, field_id, organization_id, anonymous, origin, price_min, price_max, "
    "trl_wanted_min, trl_wanted_max, transaction_types)",
]
#: The 0007 index, restored on the way back.
SQLITE_BACK = [
    "DROP TABLE IF EXISTS listings_search_fts_boost",
    "DROP INDEX IF EXISTS listings_listing_search_facets",
    "CREATE INDEX listings_listing_search_facets ON listings_listing "
    "(id, state, kind, trl, province_id, field_id, organization_id, anonymous, price_min, price_max, "
    "trl_wanted_min, trl_wanted_max, transaction_types)",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE:
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_BACK:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("listings", "0007_search_postgresql")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
