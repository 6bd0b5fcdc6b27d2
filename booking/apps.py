from django.apps import AppConfig


class BookingConfig(AppConfig):
    """The public booking page at /book/: no login, its own throttle, no patient data shown."""

    name = "booking"
    verbose_name = "Public booking page"
