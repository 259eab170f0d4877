"""Re-encrypt every encrypted value with the newest key of FIELD_ENCRYPTION_KEYS.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (keep the old one after it),
restart, run this command, then remove the old key. See docs/operations.md.
"""

from django.core.management.base import BaseCommand, CommandError

from core.encryption import UnreadableValues, encrypted_fields, reencrypt_column


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field (legal names, dates of birth...) with the newest key."

    def handle(self, *args, **options):
        for model, field_name in encrypted_fields():
            try:
                count = reencrypt_column(model, field_name)
            except UnreadableValues as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"{model._meta.label}.{field_name}: {count} value(s) re-encrypted")
        self.stdout.write(self.style.SUCCESS("Every value now uses the newest key; the older "
                                             "keys can be removed."))
