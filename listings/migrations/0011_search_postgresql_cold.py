"""PostgreSQL: a covering partial index of the published listings for the search's facet pass.

The facet pass (``DatabaseBackend._facets_postgresql``) and the ranked page join the tsquery match to the
published listings and read a few narrow columns of each match. ``EXPLAIN (ANALYZE, BUFFERS)`` at 20,000
listings (docs/search.md): that join read the whole listing table (2,858 pages of wide rows) per
statement; an index-only scan of this index reads ~380 pages (``Heap Fetches: 0`` once autovacuum has
set the visibility map; pages changed since are read from the table, so answers stay exact).
The columns are those the facets group by and the facet filters test. SQLite has its own covering index
(migration 0007) and the facet values in its side table (0010): a no-op there.
"""

from django.db import migrations

INDEX = "listings_listing_search_published"
PG = [
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON listings_listing (id) INCLUDE (kind, field_id, trl, "
    "province_id, organization_id, anonymous, origin, price_min, price_max, trl_wanted_min, "
    "trl_wanted_max, transaction_types) WHERE state = 'published'",
    "ANALYZE listings_listing",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG:
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("listings", "0010_search_facet_codes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
