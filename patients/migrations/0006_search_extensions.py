# pg_trgm and unaccent for the typo- and accent-tolerant patient search on PostgreSQL
# (patients.search); nothing on other databases, either way. Going back keeps them: other
# databases' objects may use them.

from django.db import migrations

EXTENSIONS = ("pg_trgm", "unaccent")


def create_extensions(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in EXTENSIONS:
            schema_editor.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0005_friendly_contact_errors")]

    operations = [migrations.RunPython(create_extensions, migrations.RunPython.noop)]
