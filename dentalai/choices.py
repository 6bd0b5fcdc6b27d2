"""Choices shared by several apps."""

from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"


class Role(models.TextChoices):
    OFFICE_MANAGER = "OFFICE_MANAGER", "Office Manager"
    FRONT_DESK = "FRONT_DESK", "Front Desk"
    DENTIST = "DENTIST", "Dentist"
    HYGIENIST = "HYGIENIST", "Hygienist"
    ADMIN = "ADMIN", "Admin"
