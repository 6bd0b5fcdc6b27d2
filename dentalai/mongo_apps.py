"""AppConfigs used only on MongoDB: the contrib apps and django_q with ObjectId primary keys.

Their migrations live in mongo_migrations/ (settings.MIGRATION_MODULES); SPEC §3.5.
"""

from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig
from django_q.apps import DjangoQConfig

OBJECT_ID_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"


class MongoAdminConfig(AdminConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoAuthConfig(AuthConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoContentTypesConfig(ContentTypesConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoDjangoQConfig(DjangoQConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD
