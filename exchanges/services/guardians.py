"""Guardian consent for minors (API.md "Safety").

A program may set `guardian_consent_under`: an applicant younger than that on the
program's first day names a guardian's email when applying; the guardian gets a link
that needs no account, works once and expires, and consents or refuses. Staff cannot
accept the application before consent is given; a refusal reaches the program's staff.
"""

import datetime
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict
from exchanges.activity import log_activity
from exchanges.models import (
    GUARDIAN_LINK_DAYS,
    STAFF_ROLES,
    Application,
    GuardianConsent,
    Membership,
    Program,
    hash_link_token,
)
from participants.models import User
from participants.outbox.services import enqueue

REQUEST_NOTICE = "guardian_consent_request"
REFUSED_NOTICE = "guardian_consent_refused"
MAX_TOKEN_LENGTH = 200


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def guardian_email_needed(*, program: Program, applicant: User) -> bool:
    """Whether `applicant` must name a guardian to apply to `program`. Raises a
    ValidationError naming `birth_date` when the program asks and the profile has none."""
    if program.guardian_consent_under is None:
        return False
    if applicant.birth_date is None:
        raise ValidationError({"birth_date": _(
            "This program asks the age of its applicants: add your date of birth to your "
            "profile first.")})
    return age_on(applicant.birth_date, program.starts_on) < program.guardian_consent_under


def clean_guardian_email(*, program: Program, applicant: User, guardian_email: str) -> str:
    """The guardian's address to store: "" when no consent is needed, else a valid one."""
    if not guardian_email_needed(program=program, applicant=applicant):
        return ""
    email = (guardian_email or "").strip()
    if not email:
        raise ValidationError({"guardian_email": _(
            "You are younger than %(age)d on the program's first day: give the email "
            "address of a parent or guardian, who will be asked to consent.")
            % {"age": program.guardian_consent_under}})
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"guardian_email": exc.messages}) from exc
    email = User.objects.normalize_email(email).lower()
    if email == applicant.email.lower():
        raise ValidationError({"guardian_email": _(
            "Give your guardian's address, not your own.")})
    return email


def request_consent(application: Application, guardian_email: str) -> None:
    """Inside application_submit's transaction: mark the application as waiting for the
    guardian and queue the link to them."""
    application.guardian_email = guardian_email
    application.guardian_consent = GuardianConsent.PENDING
    application.guardian_token_nonce = secrets.token_urlsafe(32)
    application.guardian_token_hash = hash_link_token(application.guardian_token)
    application.guardian_link_expires_at = timezone.now() + timedelta(days=GUARDIAN_LINK_DAYS)
    application.save(update_fields=[
        "guardian_email", "guardian_consent", "guardian_token_nonce", "guardian_token_hash",
        "guardian_link_expires_at"])
    enqueue(recipient_email=guardian_email, kind=REQUEST_NOTICE,
            dedupe_key=f"{REQUEST_NOTICE}:{application.pk}",
            organization_id=application.program.organization_id,
            context={"application": application.pk, "program": application.program_id})
    # No address in the log: the guardian has no account and never chose to be here.
    log_activity(actor=application.applicant, verb="application.guardian_consent_requested",
                 target=application, organization_id=application.program.organization_id)


def ensure_consent_allows_accepting(application: Application) -> None:
    if application.needs_guardian_consent:
        raise Conflict("guardian_consent_required", _(
            "This applicant's guardian has not consented (consent: %(state)s). The "
            "application can be accepted once they have.")
            % {"state": GuardianConsent(application.guardian_consent).label})


def application_by_guardian_token(token: str) -> Application | None:
    """The application behind a guardian's link, or None for a token never issued."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return (Application.objects.filter(guardian_token_hash=hash_link_token(token))
            .select_related("program__organization", "applicant").first())


def guardian_consent_decide(*, token: str, decision: str, guardian_name: str) -> Application:
    """The guardian's answer. Raises Application.DoesNotExist for an unknown token, a
    ValidationError for a missing name or an unknown decision, and Conflict
    `invalid_transition` once the link has been used, has expired, or the application
    is no longer open."""
    name = (guardian_name or "").strip()
    if decision not in (GuardianConsent.GIVEN, GuardianConsent.REFUSED):
        raise ValidationError({"decision": _("Choose to consent or to refuse.")})
    if not name:
        raise ValidationError({"guardian_name": _("Give your name.")})
    if len(name) > 200:
        raise ValidationError({"guardian_name": _("Give at most 200 characters.")})
    found = application_by_guardian_token(token)
    if found is None:
        raise Application.DoesNotExist
    with transaction.atomic():
        application = (Application.objects.select_for_update(of=("self",))
                       .select_related("program__organization", "applicant").get(pk=found.pk))
        _ensure_link_works(application)
        application.guardian_consent = decision
        application.guardian_name = name
        application.guardian_answered_at = timezone.now()
        application.save(update_fields=["guardian_consent", "guardian_name",
                                        "guardian_answered_at"])
        given = decision == GuardianConsent.GIVEN
        log_activity(actor=None, verb="application.guardian_consent_given" if given
                     else "application.guardian_consent_refused", target=application,
                     organization_id=application.program.organization_id)
        if decision == GuardianConsent.REFUSED:
            _tell_staff_of_refusal(application)
    return application


def _ensure_link_works(application: Application) -> None:
    status = application.guardian_link_status
    if status == GuardianConsent.PENDING:
        return
    messages = {
        GuardianConsent.GIVEN: _("You have already consented; this link works only once."),
        GuardianConsent.REFUSED: _("You have already refused; this link works only once."),
        "expired": _("This link has expired. Ask the applicant to contact the organizers."),
        "closed": _("This application is no longer open, so no answer is needed."),
    }
    raise Conflict("invalid_transition", messages[status])


def _tell_staff_of_refusal(application: Application) -> None:
    staff = (Membership.objects.filter(organization_id=application.program.organization_id,
                                       role__in=STAFF_ROLES)
             .values_list("user_id", flat=True))
    for user_id in staff:
        enqueue(recipient_id=user_id, kind=REFUSED_NOTICE,
                dedupe_key=f"{REFUSED_NOTICE}:{application.pk}:{user_id}",
                organization_id=application.program.organization_id,
                context={"application": application.pk, "program": application.program_id})


def erase_guardian_data(user: User) -> None:
    """The guardian's address, name and answer go with the applicant's account."""
    Application.objects.filter(applicant=user, guardian_consent__isnull=False).update(
        guardian_email="", guardian_name="", guardian_consent=None, guardian_answered_at=None,
        guardian_token_hash=None, guardian_token_nonce="", guardian_link_expires_at=None)
