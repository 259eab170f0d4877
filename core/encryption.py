"""Model fields encrypted at rest, for the most dangerous personal data.

The cipher is the library's (django-fernet-encrypted-fields, on `cryptography`'s
Fernet/MultiFernet); Parley only says where the keys come from: FIELD_ENCRYPTION_KEYS,
a list of Fernet keys, newest first. Values are encrypted with the first key and read
with any of them, so a key is rotated by putting a new one first, running
`manage.py rotate_encryption_keys`, then removing the old one.

Reuse: `EncryptedCharField`, `EncryptedEmailField`, `EncryptedDateField` take the same
arguments as Django's own. The column holds text (ciphertext), so the database cannot
compare, sort or search these values: filter in Python, or not at all.
"""

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import models
from encrypted_fields.fields import EncryptedFieldMixin as LibraryMixin


def configured_keys() -> tuple[str, ...]:
    keys = settings.FIELD_ENCRYPTION_KEYS
    return tuple(keys) if isinstance(keys, list | tuple) else (keys,)


_CIPHERS: dict[tuple[str, ...], MultiFernet] = {}


def cipher() -> MultiFernet:
    """The MultiFernet of the configured keys (rebuilt when the setting changes)."""
    keys = configured_keys()
    if keys not in _CIPHERS:
        _CIPHERS.clear()
        _CIPHERS[keys] = MultiFernet([Fernet(key) for key in keys])
    return _CIPHERS[keys]


class EncryptedFieldMixin(LibraryMixin):
    """The library's field, keyed by FIELD_ENCRYPTION_KEYS instead of SECRET_KEY + salt."""

    @property
    def f(self) -> MultiFernet:  # the library encrypts and decrypts with `self.f`
        return cipher()

    def get_prep_value(self, value):
        # An empty value stays empty (the library would store NULL in a NOT NULL column).
        if value in (None, ""):
            return value
        return super().get_prep_value(value)

    def clean(self, value, model_instance):
        # The library marks the shared field "already decrypted" during clean() and never
        # unmarks it when validation fails, so every later read in the process would return
        # ciphertext (and the mark is shared across threads). A value being cleaned is plain:
        # convert it with the base field's own to_python, never decrypting.
        value = super(LibraryMixin, self).to_python(value)
        self.validate(value, model_instance)
        self.run_validators(value)
        return value

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, f"core.encryption.{type(self).__name__}", args, kwargs


class EncryptedCharField(EncryptedFieldMixin, models.CharField):
    pass


class EncryptedEmailField(EncryptedFieldMixin, models.EmailField):
    pass


class EncryptedDateField(EncryptedFieldMixin, models.DateField):
    pass


class UnreadableValues(Exception):
    """Stored values that no configured key decrypts: a key was removed too early."""


def _looks_encrypted(value: str) -> bool:
    return value.startswith("gAAAAA")  # every Fernet token's version byte and time prefix


def reencrypt_column(model, field_name: str, *, using: str = "default",
                     batch_size: int = 500) -> int:
    """Encrypt every stored value of one column with the newest key: ciphertext under any
    configured key is rotated, plaintext (rows written before the field was encrypted) is
    encrypted. Raises UnreadableValues, changing nothing, if a value is ciphertext that no
    configured key opens. Works on the raw column, so it serves migrations too."""
    from django.db import connections, transaction

    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field_name).column)
    pk = connection.ops.quote_name(model._meta.pk.column)
    multi = cipher()
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL "  # noqa: S608
                       f"AND {column} <> ''")
        rows = cursor.fetchall()
        updates, unreadable = [], 0
        for row_id, value in rows:
            value = str(value)
            if _looks_encrypted(value):
                try:
                    updates.append((multi.rotate(value.encode()).decode(), row_id))
                except Exception:  # InvalidToken: no configured key opens it
                    unreadable += 1
            else:
                updates.append((multi.encrypt(value.encode()).decode(), row_id))
        if unreadable:
            raise UnreadableValues(
                f"{unreadable} value(s) of {model._meta.label}.{field_name} cannot be "
                "decrypted with FIELD_ENCRYPTION_KEYS: put the old key back (after the new "
                "one) and run again.")
        for start in range(0, len(updates), batch_size):
            cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                               updates[start:start + batch_size])
    return len(updates)


def encrypted_fields():
    """(model, field name) of every encrypted field of the project's models."""
    from django.apps import apps

    return [(model, field.name) for model in apps.get_models()
            for field in model._meta.concrete_fields if isinstance(field, EncryptedFieldMixin)]
