from django.core.management.base import BaseCommand, CommandError

from agent.knowledge import kb_cache_clear, kb_import_file


class Command(BaseCommand):
    help = (
        "Import the knowledge base from a Markdown file: '# Clinic', then one '## Title' "
        "section per article. Articles are matched by title, so re-importing updates them in "
        "place; articles not in the file are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The Markdown file.")

    def handle(self, *args, **options):
        try:
            clinic, result = kb_import_file(options["file"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        kb_cache_clear()
        self.stdout.write(
            f"{clinic or 'Knowledge base'}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
