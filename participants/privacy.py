"""A person's data: download all of it, or erase the account.

`participants` knows only people and their messages; the apps above it register
what they hold about a person (applications, RSVPs, activity) through the two
registries below, from their AppConfig.ready().
"""

from collections.abc import Callable
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from participants.models import Notification, NotificationStatus, User
from participants.signals import account_erased, personal_data_exported

ERASED_DISPLAY_NAME = "Former participant"

# name -> function(user) -> JSON-ready data about that person
EXPORTERS: dict[str, Callable[[User], Any]] = {}
# functions(user) run inside the erasure transaction, before the person's own row is
# scrubbed; they may raise core.errors.Conflict to refuse (e.g. sole owner).
ERASERS: list[Callable[[User], None]] = []


def register_exporter(name: str, exporter: Callable[[User], Any]) -> None:
    EXPORTERS[name] = exporter


# Sections of the "My data" page that higher apps add: (template, function(user) -> context).
DATA_PAGE_SECTIONS: dict[str, tuple[str, Callable[[User], dict]]] = {}


def register_data_page_section(name: str, template: str,
                               context: Callable[[User], dict]) -> None:
    DATA_PAGE_SECTIONS[name] = (template, context)


def data_page_sections(user: User) -> list[dict]:
    return [{"template": template, **context(user)}
            for template, context in DATA_PAGE_SECTIONS.values()]


def register_eraser(eraser: Callable[[User], None]) -> None:
    if eraser not in ERASERS:
        ERASERS.append(eraser)


def _iso(value):
    return value.isoformat() if value else None


def _profile(user: User) -> dict:
    return {
        "id": user.pk, "email": user.email, "display_name": user.display_name,
        "legal_name": user.legal_name, "country": user.country, "languages": user.languages,
        "institution": user.institution, "birth_date": _iso(user.birth_date),
        "timezone": user.timezone, "language": user.language, "notify_email": user.notify_email,
        "hidden_from_participants": user.hidden_from_participants,
        "date_joined": _iso(user.date_joined), "last_login": _iso(user.last_login),
    }


def _consents(user: User) -> dict:
    return {
        "terms_version": user.terms_version, "terms_accepted_at": _iso(user.terms_accepted_at),
        "research_consent_at": _iso(user.research_consent_at),
    }


def _messages(user: User) -> list[dict]:
    return [
        {"id": n.pk, "kind": n.kind, "due_at": _iso(n.due_at), "status": n.status,
         "sent_at": _iso(n.sent_at), "subject": n.subject}
        for n in Notification.objects.filter(recipient=user).order_by("due_at", "id")
    ]


def export_personal_data(*, user: User, ip_address: str | None = None) -> dict:
    """Everything Parley holds about `user`, as JSON-ready data. Logged (without the data)."""
    data = {
        "exported_at": timezone.now().isoformat(),
        "profile": _profile(user),
        "consents": _consents(user),
        "messages": _messages(user),
    }
    for name, exporter in EXPORTERS.items():
        data[name] = exporter(user)
    personal_data_exported.send(sender=User, user=user, ip_address=ip_address)
    return data


def erase_account(*, user: User, password: str, ip_address: str | None = None) -> None:
    """Erase a person: personal data removed or replaced everywhere it was copied,
    tokens and sessions ended, pending messages cancelled, sign-in impossible.
    Anonymous counts (applications per side, attendance) stay true."""
    if not user.check_password(password):
        raise ValidationError({"password": _("The password is not correct.")})
    erase_personal_data(user=user, ip_address=ip_address)


def erase_personal_data(*, user: User, ip_address: str | None = None) -> None:
    """The erasure itself, for the person (after their password) and the retention job."""
    with transaction.atomic():
        for eraser in ERASERS:
            eraser(user)
        old_email = user.email
        _scrub_messages(user)
        _scrub_admin_log(user)
        _scrub_sign_in_records(old_email)
        Token.objects.filter(user=user).delete()
        _scrub_user(user)
        account_erased.send(sender=User, user=user, old_email=old_email, ip_address=ip_address)


def _scrub_messages(user: User) -> None:
    Notification.objects.filter(recipient=user, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.CANCELLED, last_error="recipient erased their account")
    Notification.objects.filter(recipient=user).update(subject="", context={}, last_error="")


def _scrub_admin_log(user: User) -> None:
    content_type = ContentType.objects.get_for_model(User)
    LogEntry.objects.filter(content_type=content_type, object_id=str(user.pk)).update(
        object_repr=ERASED_DISPLAY_NAME, change_message="")


def _scrub_sign_in_records(email: str) -> None:
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__iexact=email).delete()


def _scrub_user(user: User) -> None:
    user.email = f"erased-{user.pk}@erased.invalid"
    user.display_name = ERASED_DISPLAY_NAME
    user.legal_name = ""
    user.country = ""
    user.languages = ""
    user.institution = ""
    user.birth_date = None
    user.timezone = "UTC"
    user.notify_email = False
    user.research_consent_at = None
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.erased_at = timezone.now()
    # A new, unusable password also changes the session hash: every session ends.
    user.set_unusable_password()
    user.save()
