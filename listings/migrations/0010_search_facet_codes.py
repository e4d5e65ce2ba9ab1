"""SQLite: each indexed document's facet values in the boost side table, and a partial index of the
published listings' ids.

The one-pass facet count read every match's wide entry of the facets' covering index (with the
transaction types' JSON) and joined the IP rights; at 15,000-20,000 matches that and one sort per facet
were most of a cold search (docs/search.md). The side table now holds, per document, small integers:
the science field and its top-level field, province, organisation (NULL when anonymous), TRL and wanted
TRL range, prices, and the small fixed domains packed - TRL, transaction types, IP types and price
bands each a 21-bit digit of a 63-bit column, three per column - so a SUM per column counts them with no
sort. ``listings.search.database.facet_values_sql`` defines the values for new documents; the copy
below fills the documents already indexed (a test checks both give the same rows), so no reindex is
needed. The partial index makes the per-match check of the live published state a lookup in a small
index. PostgreSQL keeps its own search table and needs nothing: a no-op there.
"""

from django.db import migrations

BITS = 21
DIGITS = 3
TRL = tuple(range(1, 10))
TX = (
    "exclusive_license",
    "non_exclusive_license",
    "assignment",
    "capital_contribution",
    "joint_development",
    "franchising",
    "technical_service",
    "consulting",
    "equipment_with_technology",
)
IP = (
    "patent",
    "utility_solution",
    "industrial_design",
    "trademark",
    "copyright",
    "software",
    "plant_variety",
    "layout_design",
    "trade_secret",
    "know_how",
)
_TR, _TY = 1_000_000, 1_000_000_000
#: (low, high) of the price bands in VND, high exclusive (``listings.search.base.PRICE_BANDS``).
BANDS = ((None, 100 * _TR), (100 * _TR, 500 * _TR), (500 * _TR, 1 * _TY), (1 * _TY, 5 * _TY), (5 * _TY, None))


def _packed(values, term):
    columns = [[] for _ in range(-(-len(values) // DIGITS))]
    for i, value in enumerate(values):
        columns[i // DIGITS].append(term(value, 1 << (BITS * (i % DIGITS))))
    return columns


def _band(low, high):
    cond = "(l.price_min IS NOT NULL OR l.price_max IS NOT NULL)"
    if low is not None:
        cond += f" AND (l.price_max IS NULL OR l.price_max >= {low})"
    if high is not None:
        cond += f" AND (l.price_min IS NULL OR l.price_min <= {high - 1})"
    return cond


def columns():
    """(name, type, SQL over ``listings_listing AS l`` and its ``listings_sciencefield AS sf``)."""
    out = [
        ("kind", "TEXT", "l.kind"),
        ("origin", "TEXT", "l.origin"),
        ("field_id", "INTEGER", "l.field_id"),
        ("top_field_id", "INTEGER", "coalesce(sf.parent_id, sf.id)"),
        ("province_id", "INTEGER", "l.province_id"),
        ("org_id", "INTEGER", "CASE WHEN l.anonymous THEN NULL ELSE l.organization_id END"),
        ("trl", "INTEGER", "l.trl"),
        ("trl_wanted_min", "INTEGER", "l.trl_wanted_min"),
        ("trl_wanted_max", "INTEGER", "l.trl_wanted_max"),
        ("price_min", "INTEGER", "l.price_min"),
        ("price_max", "INTEGER", "l.price_max"),
    ]
    for j, terms in enumerate(_packed(TRL, lambda v, bit: (v, bit))):
        case = "CASE l.trl " + " ".join(f"WHEN {v} THEN {bit}" for v, bit in terms) + " ELSE 0 END"
        out.append((f"trl_{'abc'[j]}", "INTEGER", case))
    for j, terms in enumerate(_packed(TX, lambda code, bit: (code, bit))):
        expr = " + ".join(
            f"coalesce(instr(lower(l.transaction_types), '\"{code}\"') > 0, 0) * {bit}" for code, bit in terms
        )
        out.append((f"tx_{'abc'[j]}", "INTEGER", expr))
    for j, terms in enumerate(_packed(IP, lambda code, bit: (code, bit))):
        expr = (
            "coalesce((SELECT sum(DISTINCT CASE ip.type "  # noqa: S608 - constants only
            + " ".join(f"WHEN '{code}' THEN {bit}" for code, bit in terms)
            + " END) FROM listings_ipright AS ip WHERE ip.listing_id = l.id), 0)"
        )
        out.append((f"ip_{'abcd'[j]}", "INTEGER", expr))
    for j, terms in enumerate(_packed(BANDS, lambda band, bit: (band, bit))):
        expr = " + ".join(f"(CASE WHEN {_band(*band)} THEN {bit} ELSE 0 END)" for band, bit in terms)
        out.append((f"band_{'ab'[j]}", "INTEGER", expr))
    return out


TABLE = "listings_search_fts_boost"
PUBLISHED_INDEX = "listings_listing_search_published"


def fill_sql() -> str:
    """Every document's facet values from its listing (a listing gone leaves NULLs: never published)."""
    names = ", ".join(name for name, _, _ in columns())
    values = ", ".join(sql for _, _, sql in columns())
    return (
        f"UPDATE {TABLE} SET ({names}) = (SELECT {values} FROM listings_listing AS l "  # noqa: S608
        f"LEFT JOIN listings_sciencefield AS sf ON sf.id = l.field_id WHERE l.id = {TABLE}.rowid)"
    )


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name, kind, _ in columns():
        schema_editor.execute(f"ALTER TABLE {TABLE} ADD COLUMN {name} {kind}")
    schema_editor.execute(fill_sql())
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {PUBLISHED_INDEX} ON listings_listing (id, state) "
        "WHERE state = 'published'"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {PUBLISHED_INDEX}")
    for name, _, _ in reversed(columns()):
        schema_editor.execute(f"ALTER TABLE {TABLE} DROP COLUMN {name}")


class Migration(migrations.Migration):
    dependencies = [("listings", "0009_search_generation")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
