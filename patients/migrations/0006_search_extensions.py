# pg_trgm and unaccent for the typo- and accent-tolerant patient search on PostgreSQL
# (patients.search); on other databases these operations do nothing.

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("patients", "0005_friendly_contact_errors")]

    operations = [TrigramExtension(), UnaccentExtension()]
