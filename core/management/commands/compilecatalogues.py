"""`manage.py compilecatalogues [PO_FILE ...]`: compile Parley's catalogues to .mo files.

Django's compilemessages runs GNU gettext's msgfmt, a system package; this command
needs only polib, so `make install` compiles the catalogues on a fresh machine.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.catalogues import catalogue_files, compile_catalogue, is_compiled


class Command(BaseCommand):
    help = "Compile the translation catalogues (.po) under LOCALE_PATHS to .mo files."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="Only these .po files (default: all).")
        parser.add_argument("--force", action="store_true",
                            help="Compile even catalogues whose .mo file is up to date.")

    def handle(self, *args, **options):
        files = [Path(name) for name in options["files"]] or catalogue_files()
        for po_path in files:
            if po_path.suffix != ".po" or not po_path.exists():
                raise CommandError(f"{po_path} is not a .po file")
            if options["force"] or options["files"] or not is_compiled(po_path):
                compile_catalogue(po_path)
                if options["verbosity"] > 1:
                    self.stdout.write(f"compiled {po_path}")
