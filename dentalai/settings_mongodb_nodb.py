"""The MongoDB settings with no server: for `makemigrations` on the MongoDB branch.

Everything is as on MongoDB (AppConfigs, ObjectIdAutoField, MIGRATION_MODULES) except the
engine, which is Django's dummy backend so that no connection is attempted (SPEC §3.5).
Usage: DJANGO_SETTINGS_MODULE=dentalai.settings_mongodb_nodb python manage.py makemigrations
"""

import os

os.environ["DATABASE_URL"] = "mongodb://127.0.0.1:27017/dentalai"

from dentalai.settings import *  # noqa: F403
from dentalai.settings import DATABASES

DATABASES["default"]["ENGINE"] = "django.db.backends.dummy"
