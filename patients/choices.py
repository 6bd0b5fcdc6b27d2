from django.db import models


class PatientType(models.TextChoices):
    EXISTING = "EXISTING", "Existing patient"
    COLD_LEAD = "COLD_LEAD", "Cold lead"
    NEW = "NEW", "New patient (booked online)"
