"""The errors services raise for the people and programs calling them.

The API maps each to its status code once (dentalai/api.py); the dashboard shows the message.
Messages are written for the person reading them and never carry patient data.
"""


class ApplicationError(Exception):
    status_code = 400

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class NotFound(ApplicationError):
    status_code = 404


class Conflict(ApplicationError):
    status_code = 409


class Forbidden(ApplicationError):
    """The staff member's role does not allow it (dentalai.roles)."""

    status_code = 403
