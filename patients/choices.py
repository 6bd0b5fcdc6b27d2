from django.db import models


class PatientType(models.TextChoices):
    EXISTING = "EXISTING", "Existing patient"
    COLD_LEAD = "COLD_LEAD", "Cold lead"
    NEW = "NEW", "New patient (booked online)"


class ImportStatus(models.TextChoices):
    DRAFT = "DRAFT", "Waiting for the columns to be checked"
    QUEUED = "QUEUED", "Waiting to start"
    RUNNING = "RUNNING", "Importing"
    DONE = "DONE", "Done"
    FAILED = "FAILED", "Stopped by an error"
