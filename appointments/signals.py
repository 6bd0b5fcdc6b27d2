"""What happens to visits, for the layers above that react to it (campaigns.receivers moves
the campaign a booking belongs to). Each is sent with appointment= after the change is stored."""

from django.dispatch import Signal

appointment_booked = Signal()  # also submitted_at=: when the patient booked on the form, or None
appointment_unbooked = Signal()  # an upcoming visit was cancelled or deleted
appointment_moved = Signal()  # also previous=: the visit it replaces, now cancelled
appointment_no_showed = Signal()  # the patient did not come
appointment_completed = Signal()
