"""`manage.py cataloguestatus`: per catalogue, how many entries, how many left to do.

Exits with status 1 when any entry is untranslated or fuzzy (`--check`), so the
output of `make messages` says at a glance what a translator still has to do.
"""

from django.core.management.base import BaseCommand, CommandError

from core.catalogues import catalogue_files, status


class Command(BaseCommand):
    help = "Count the entries, untranslated and fuzzy ones, of each translation catalogue."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="Fail when any entry is untranslated or fuzzy.")

    def handle(self, *args, **options):
        left = 0
        self.stdout.write(f"{'catalogue':<16}{'entries':>8}{'untranslated':>14}{'fuzzy':>7}")
        for po_path in catalogue_files():
            s = status(po_path)
            left += s.untranslated + s.fuzzy
            self.stdout.write(f"{s.language + '/' + s.domain:<16}{s.entries:>8}"
                              f"{s.untranslated:>14}{s.fuzzy:>7}")
        if options["check"] and left:
            raise CommandError(f"{left} entries are untranslated or fuzzy")
