"""Authorise the app to use the clinic's Gmail mailbox (OAuth installed-app flow).

Needs GMAIL_CREDENTIALS_FILE (the OAuth client of type "Desktop app" downloaded from Google
Cloud). Opens the consent page (or prints its URL), waits for Google to redirect to a local
port, and writes the token to GMAIL_TOKEN_FILE (readable by this user only). With a service
account and domain-wide delegation (GMAIL_SERVICE_ACCOUNT_FILE) this step is not needed.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from messaging.conf import messaging_settings
from messaging.gmail import SCOPES, gmail_service, gmail_token_save


class Command(BaseCommand):
    help = "Authorise Gmail access for GMAIL_ADDRESS and save the token to GMAIL_TOKEN_FILE."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port",
            type=int,
            default=8765,
            help="Local port Google redirects to after consent (default 8765; 0 = any free).",
        )
        parser.add_argument(
            "--no-browser",
            action="store_true",
            help="Only print the consent URL (open it on any machine that can reach the port, "
            "e.g. through an SSH tunnel).",
        )

    def handle(self, *args, **options):
        from google_auth_oauthlib.flow import InstalledAppFlow

        conf = messaging_settings()
        address = conf.required("gmail_address", "to authorise Gmail")
        secrets = conf.required("gmail_credentials_file", "to authorise Gmail (OAuth client)")
        if not Path(secrets).exists():
            raise CommandError(f"GMAIL_CREDENTIALS_FILE: {secrets} does not exist.")
        flow = InstalledAppFlow.from_client_secrets_file(secrets, SCOPES)
        credentials = flow.run_local_server(
            host="localhost",
            port=options["port"],
            open_browser=not options["no_browser"],
            authorization_prompt_message="Sign in as the clinic's mailbox at this URL:\n{url}",
            success_message="Authorised. You can close this window.",
            login_hint=address,
        )
        token_file = Path(conf.gmail_token_file)
        gmail_token_save(credentials, token_file)
        profile = gmail_service().users().getProfile(userId="me").execute()
        signed_in = str(profile.get("emailAddress", "")).lower()
        if signed_in != address:
            token_file.unlink(missing_ok=True)
            raise CommandError(
                f"Signed in as {signed_in}, but GMAIL_ADDRESS is {address}; the token was not kept."
            )
        self.stdout.write(self.style.SUCCESS(f"Gmail authorised for {address}: {token_file}"))
        self.stdout.write("Next: `manage.py gmail_watch` to receive replies by push.")
