"""The demo clinic's set-up, as an office manager enters it once: staff, services, weekly
hours, time off and the knowledge base. Each row is found by its natural key (email, slug,
provider + weekday + start, title), so a second run adds nothing.

Staff and services get ids derived from their keys: the booking gives a visit to the first
free provider in id order, so stable ids keep the demo's calendar the same on every run.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings

from agent.models import KnowledgeArticle
from appointments.models import ProviderSchedule, Service, TimeOff
from demo import content as C
from dentalai.clinic_time import local_datetime
from dentalai.models import User

DEMO_MANAGER_EMAIL = "manager@demo.clinic"
DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - the published demo login


def demo_id(kind: str, key: object) -> str:
    """A stable 24-hex primary key for the demo object named `kind`/`key`."""
    return hashlib.sha256(f"dentalai-demo:{kind}:{key}".encode()).hexdigest()[:24]


@dataclass
class Clinic:
    staff: dict[str, User]  # by the key content.STAFF gives them
    services: dict[str, Service]  # by slug


def clinic_texts() -> dict[str, str]:
    return {
        "clinic": settings.CLINIC_NAME,
        "address": settings.CLINIC_POSTAL_ADDRESS,
        "phone": C.CLINIC_PHONE,
        "emergency_phone": C.CLINIC_EMERGENCY_PHONE,
    }


def clinic_set_up(*, now: dt.datetime, today: dt.date) -> Clinic:
    """Create what is missing of the clinic's set-up; time off is planned from `today`."""
    staff = {}
    for key, email, name, role in C.STAFF:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(id=demo_id("user", email), email=email, name=name, role=role)
            user.date_joined = now
            user.set_password(DEMO_PASSWORD)
            user.save(force_insert=True)
        staff[key] = user

    services = {}
    for slug, name, minutes, providers in C.SERVICES:
        service, _ = Service.objects.get_or_create(
            slug=slug,
            defaults={"id": demo_id("service", slug), "name": name, "duration_minutes": minutes},
        )
        service.providers.add(*(staff[key] for key in providers))  # skips existing links
        services[slug] = service

    for key in C.PROVIDERS:
        for weekday, blocks in C.SCHEDULES[key].items():
            for start, end in blocks:
                ProviderSchedule.objects.get_or_create(
                    provider=staff[key],
                    weekday=weekday,
                    start_time=start,
                    defaults={"end_time": end},
                )

    for key, first, last, start, end, reason in C.TIME_OFF:
        begin = local_datetime(today + dt.timedelta(days=first), start or dt.time())
        if end is None:
            finish = local_datetime(today + dt.timedelta(days=last + 1), dt.time())
        else:
            finish = local_datetime(today + dt.timedelta(days=last), end)
        TimeOff.objects.get_or_create(
            provider=staff[key], reason=reason, defaults={"start": begin, "end": finish}
        )

    texts = clinic_texts()
    for title, body in C.KNOWLEDGE_BASE:
        KnowledgeArticle.objects.get_or_create(title=title, defaults={"body": body.format(**texts)})
    return Clinic(staff=staff, services=services)
