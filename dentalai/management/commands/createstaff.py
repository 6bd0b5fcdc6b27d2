import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from dentalai.choices import Role
from dentalai.errors import ApplicationError
from dentalai.models import User, UserManager
from dentalai.services import user_create


def parse_role(text: str) -> Role:
    """Accept a role by value or label, in any case: OFFICE_MANAGER, office-manager,
    "Office Manager"."""
    key = "_".join(text.replace("-", " ").split()).upper()
    for role in Role:
        if key in (role.value, "_".join(role.label.split()).upper()):
            return role
    valid = ", ".join(f"{role.value} ({role.label})" for role in Role)
    raise CommandError(f"Unknown role {text!r}. Valid roles: {valid}.")


class Command(BaseCommand):
    help = (
        "Create a clinic staff account that can log in to the dashboard and the admin. "
        "The password is asked for twice, or read from one line of standard input with "
        "--password-stdin."
    )
    # Lets call_command(..., stdin=io.StringIO(...)) feed --password-stdin, as in
    # Django's createsuperuser.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="Login email address.")
        parser.add_argument("--name", required=True, help="Full name, as colleagues see it.")
        parser.add_argument(
            "--role",
            required=True,
            help="One of: " + ", ".join(f'{r.value} ("{r.label}")' for r in Role),
        )
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input (for scripts).",
        )

    def handle(self, *args, email, name, role, password_stdin, **options):
        role = parse_role(role)
        email = UserManager.normalize_email(email)
        # Fail before asking for a password that could not be used anyway.
        if User.objects.filter(email=email).exists():
            raise CommandError(f"A staff member with the email {email} already exists.")
        if password_stdin:
            password = self.read_password_line(options.get("stdin") or sys.stdin)
        else:
            password = self.prompt_password()
        try:
            user = user_create(email=email, name=name, role=role, password=password)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Created staff member {user.pk} <{user.email}> ({role.label}).")
        )

    def read_password_line(self, stream) -> str:
        # Only the line break is removed: spaces can be part of a passphrase.
        password = stream.readline().rstrip("\r\n")
        if not password:
            raise CommandError("No password on standard input.")
        return password

    def prompt_password(self) -> str:
        try:
            password = getpass.getpass("Password: ")
            again = getpass.getpass("Password (again): ")
        except (EOFError, KeyboardInterrupt) as exc:
            raise CommandError(
                "No password given: type it at the prompt, or use --password-stdin."
            ) from exc
        if password != again:
            raise CommandError("The two passwords do not match.")
        if not password:
            raise CommandError("The password cannot be empty.")
        return password
