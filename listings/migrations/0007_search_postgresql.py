"""The embedded search backend on PostgreSQL, and a covering index for facets on SQLite.

PostgreSQL: ``listings_search_fts`` is a plain table (rowid = listing id) with a weighted tsvector of the
folded text and a GIN index, plus a vocabulary table with a trigram index for typo tolerance
(extension ``pg_trgm``, shipped with PostgreSQL's contrib package). The DDL is frozen here;
``search_reindex`` recreates the tables from the current code.

SQLite: facet counts read a few narrow columns of every matching listing; a covering index lets them
skip the wide listing rows (measured in docs/benchmarks.md).
"""

from django.db import migrations

PG = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TABLE IF NOT EXISTS listings_search_fts (rowid bigint PRIMARY KEY, doc tsvector NOT NULL, "
    "title_doc tsvector NOT NULL, kind varchar(10) NOT NULL, stamp text NOT NULL, "
    "published_ts double precision NOT NULL, completeness double precision NOT NULL, "
    "sort_vi text NOT NULL, sort_en text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS listings_search_fts_doc ON listings_search_fts USING gin (doc)",
    "CREATE INDEX IF NOT EXISTS listings_search_fts_title ON listings_search_fts USING gin (title_doc)",
    "CREATE TABLE IF NOT EXISTS listings_search_fts_words (word text PRIMARY KEY)",
    "CREATE INDEX IF NOT EXISTS listings_search_fts_words_trgm "
    "ON listings_search_fts_words USING gin (word gin_trgm_ops)",
]
SQLITE = [
    "CREATE INDEX IF NOT EXISTS listings_listing_search_facets ON listings_listing "
    "(id, state, kind, trl, province_id, field_id, organization_id, anonymous, price_min, price_max, "
    "trl_wanted_min, trl_wanted_max, transaction_types)",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in PG if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TABLE IF EXISTS listings_search_fts_words")
        schema_editor.execute("DROP TABLE IF EXISTS listings_search_fts")
    elif vendor == "sqlite":
        schema_editor.execute("DROP INDEX IF EXISTS listings_listing_search_facets")


class Migration(migrations.Migration):
    dependencies = [("listings", "0006_matching_saved_searches")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
