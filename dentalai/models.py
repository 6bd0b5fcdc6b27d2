import datetime as dt
import re

from bson import ObjectId
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from dentalai.choices import Role
from dentalai.roles import role_has_module_perms, role_has_perm

OBJECT_ID_PATTERN = re.compile(r"[0-9a-f]{24}")


def new_object_id() -> str:
    """A fresh 24-hex ObjectId string: the same id shape on SQL and MongoDB (SPEC §3.1)."""
    return str(ObjectId())


def is_object_id(value: object) -> bool:
    """Whether `value` has the shape of our ids. Anything else is an unknown id (a 404),
    looked up nowhere: a NUL byte, say, would be an error on PostgreSQL, not a miss."""
    return isinstance(value, str) and OBJECT_ID_PATTERN.fullmatch(value) is not None


class ObjectIdModel(models.Model):
    """Base of our models: an explicit, portable primary key, so one migration set serves
    SQLite, PostgreSQL and MongoDB alike."""

    id = models.CharField(
        primary_key=True, max_length=24, default=new_object_id, editable=False, verbose_name="ID"
    )

    class Meta:
        abstract = True


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        return (email or "").strip().lower()

    def get_by_natural_key(self, email):
        return self.get(email=self.normalize_email(email))

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("A staff account needs an email address.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.setdefault("role", Role.ADMIN)
        fields.setdefault("name", "Administrator")
        fields["is_superuser"] = True
        return self.create_user(email, password, **fields)


class User(ObjectIdModel, AbstractBaseUser, PermissionsMixin):
    """A clinic staff member. Logs in with email + password; providers are users with a
    schedule (appointments.ProviderSchedule)."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.FRONT_DESK)
    is_active = models.BooleanField(
        default=True, help_text="Untick instead of deleting: the account can no longer log in."
    )
    date_joined = models.DateTimeField(default=timezone.now, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name"]
        verbose_name = "staff member"
        verbose_name_plural = "staff"

    def __str__(self):
        return self.name or self.email

    def save(self, *args, **kwargs):
        # Email logins are case-insensitive: store one canonical form so the unique index holds.
        self.email = UserManager.normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def is_staff(self) -> bool:
        """Every account is a clinic staff account: the admin site is open to all active ones,
        and what each sees there follows its role."""
        return self.is_active

    def has_perm(self, perm, obj=None):
        if self.is_active and role_has_perm(self.role, perm):
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label):
        if self.is_active and role_has_module_perms(self.role, app_label):
            return True
        return super().has_module_perms(app_label)


class AuditEntry(ObjectIdModel):
    """One staff action: who did what, when, on which object (written by the services)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self):
        return f"{self.action} {self.object_type} {self.object_id}"


class JobRun(ObjectIdModel):
    """One run of a background job (the daily trigger, due follow-ups, …): when it ran, how it
    ended, what it did (counts, never patient data) and, when it failed, why. Written by the
    django-q2 task functions; staff read the last run of each job in the admin."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=64, help_text="The job, e.g. daily_trigger.")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    counts = models.JSONField(default=dict, blank=True, help_text="What the run did.")
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "job run"
        indexes = [
            models.Index(fields=["name", "started_at"], name="jobrun_name_idx"),
            models.Index(fields=["status", "started_at"], name="jobrun_status_idx"),
        ]

    def __str__(self):
        return f"{self.name} at {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def duration(self) -> dt.timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None


class ThrottleCounter(ObjectIdModel):
    """One throttle's count in one window (dentalai.throttles), shared by every web process.
    Changed only by compare-and-set updates, so concurrent requests cannot both take the
    last try; a row outlives its window only until the daily clean-up."""

    key = models.CharField(max_length=160, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="throttle_expires_idx")]

    def __str__(self):
        return f"{self.key}: {self.count}"
