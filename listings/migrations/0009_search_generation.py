"""The database search backend's index generation: one row whose token changes with every index write.

Search results of the database backend are cached per (query, generation) (``database.SearchCache``):
a write to the index (index, remove, rebuild, clear) sets a new random token in the same transaction,
so a cached answer is never served once the index it was computed from has changed, in any process.
A random token rather than a counter, so a rolled-back write (or a test's rolled-back transaction)
can never bring back a token some other state was cached under. Same DDL on SQLite and PostgreSQL.
"""

from django.db import migrations

SQL = [
    "CREATE TABLE IF NOT EXISTS listings_search_generation "
    "(id integer PRIMARY KEY, token varchar(32) NOT NULL)",
    "INSERT INTO listings_search_generation (id, token) VALUES (1, 'initial')",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor in ("sqlite", "postgresql"):
        for sql in SQL:
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor in ("sqlite", "postgresql"):
        schema_editor.execute("DROP TABLE IF EXISTS listings_search_generation")


class Migration(migrations.Migration):
    dependencies = [("listings", "0008_search_boost_table")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
