"""Legal names and dates of birth are encrypted at rest; keys rotate."""

import datetime
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from core.encryption import reencrypt_column
from participants.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def raw(user, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM participants_user WHERE id = %s",  # noqa: S608
                       [user.pk])
        return cursor.fetchone()[0]


def test_the_columns_hold_ciphertext_not_the_values():
    user = UserFactory(legal_name="Amira Haddad", birth_date=datetime.date(1993, 4, 5))

    assert "Amira" not in raw(user, "legal_name")
    assert "1993" not in str(raw(user, "birth_date"))
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.legal_name, fresh.birth_date) == ("Amira Haddad", datetime.date(1993, 4, 5))


def test_empty_values_stay_empty():
    user = UserFactory(legal_name="", birth_date=None)

    assert (raw(user, "legal_name"), raw(user, "birth_date")) == ("", None)


def test_without_the_key_the_values_cannot_be_read():
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD]):
        user = UserFactory(legal_name="Amira Haddad", birth_date=datetime.date(1993, 4, 5))
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW]):
        fresh = User.objects.only("legal_name").get(pk=user.pk)
        assert fresh.legal_name != "Amira Haddad"
        assert fresh.legal_name == raw(user, "legal_name")  # the ciphertext, unreadable


def test_rotation_re_encrypts_every_row_with_the_newest_key():
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD]):
        user = UserFactory(legal_name="Amira Haddad", birth_date=datetime.date(1993, 4, 5))
        UserFactory(legal_name="", birth_date=None)
    before = raw(user, "legal_name")
    out = StringIO()

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW, OLD]):
        call_command("rotate_encryption_keys", stdout=out)
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW]):  # the old key removed
        fresh = User.objects.get(pk=user.pk)

    assert raw(user, "legal_name") != before
    assert (fresh.legal_name, fresh.birth_date) == ("Amira Haddad", datetime.date(1993, 4, 5))
    assert "participants.User.legal_name" in out.getvalue()


def test_rotation_refuses_when_a_value_cannot_be_decrypted():
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD]):
        user = UserFactory(legal_name="Amira Haddad")
    before = raw(user, "legal_name")

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW]), pytest.raises(
            CommandError, match="cannot be decrypted"):
        call_command("rotate_encryption_keys", stdout=StringIO())

    assert raw(user, "legal_name") == before  # nothing was changed, nothing double-encrypted


def test_plaintext_rows_from_before_are_encrypted_by_the_migration_step():
    user = UserFactory(legal_name="")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE participants_user SET legal_name = %s, birth_date = %s "
                       "WHERE id = %s", ["Old Plaintext", "1980-01-02", user.pk])

    reencrypt_column(User, "legal_name")
    reencrypt_column(User, "birth_date")

    assert "Plaintext" not in raw(user, "legal_name")
    assert "1980" not in str(raw(user, "birth_date"))
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.legal_name, fresh.birth_date) == ("Old Plaintext", datetime.date(1980, 1, 2))


def test_forms_and_validation_see_plain_values():
    user = UserFactory(legal_name="Amira Haddad", birth_date=datetime.date(1993, 4, 5))
    user.full_clean()
    user.birth_date = datetime.date(1800, 1, 1)
    with pytest.raises(Exception, match="1900"):
        user.full_clean()


def test_a_failed_validation_does_not_stop_later_reads_from_decrypting():
    user = UserFactory(legal_name="Amira Haddad", birth_date=datetime.date(1993, 4, 5))
    user.birth_date = datetime.date(1800, 1, 1)
    with pytest.raises(Exception, match="1900"):
        user.full_clean()

    fresh = User.objects.get(pk=user.pk)

    assert (fresh.legal_name, fresh.birth_date) == ("Amira Haddad", datetime.date(1993, 4, 5))
