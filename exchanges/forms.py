"""Forms of the exchanges pages: they check shape; the services decide the rules."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validity import validate_date
from exchanges.activity import verb_label
from exchanges.models import (
    MAX_GUARDIAN_CONSENT_AGE,
    MAX_PROGRAM_CAPACITY,
    MAX_RETENTION_DAYS,
    MAX_VENUE_DISCLOSURE_HOURS,
    MIN_GUARDIAN_CONSENT_AGE,
    ActivityLog,
    ApplicationStatus,
    Balance,
    GuardianConsent,
    ProgramKind,
    Role,
)
from exchanges.services import SideSpec
from exchanges.services.guardians import age_on
from participants.forms import (
    LocalTimeField,
    TimezoneField,
    ZoneSearchInput,
    add_service_errors,  # noqa: F401 - re-exported for views
)
from participants.models import User

EXTRA_SIDE_ROWS = 2


class OrganizationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False,
                                  max_length=5000)
    website = forms.URLField(label=_("Website"), required=False, max_length=200)


class MemberInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), max_length=254,
        help_text=_("We email them a link. They become a member only when they accept it, "
                    "and can create an account there if they have none."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.COORDINATOR)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self):
        super().__init__(format="%Y-%m-%dT%H:%M")


class ProgramForm(forms.Form):
    """Program fields plus its sides as parallel lists `side_id` / `side_name`.

    Existing sides come with their id: renaming keeps the id, blanking removes the
    side. Rows without an id add a side; blank ones are ignored.
    """

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ProgramKind.choices)
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False,
                              help_text=_("One or two sentences shown on the catalogue card."))
    description = forms.CharField(label=_("Description"), widget=forms.Textarea,
                                  max_length=20000, required=False)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    is_online = forms.BooleanField(label=_("Online"), required=False)
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput(),
                                validators=[validate_date])
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput(), validators=[validate_date])
    applications_close_at = LocalTimeField(
        label=_("Applications close at"), required=False, widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    timezone = TimezoneField(
        label=_("Timezone"), widget=ZoneSearchInput(), required=False,
        help_text=_("Where the program happens, e.g. Asia/Nicosia: its sessions are "
                    "scheduled in this zone unless you choose another."),
    )
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1,
                                  max_value=MAX_PROGRAM_CAPACITY)
    balance = forms.ChoiceField(label=_("Balance rule"), choices=Balance.choices,
                                initial=Balance.PARITY)
    retention_days = forms.IntegerField(
        label=_("Erase participants' personal data after (days)"), required=False,
        min_value=1, max_value=MAX_RETENTION_DAYS,
        help_text=_("Counted from the program's end. Leave empty to keep it until people erase "
                    "their own accounts. Anonymous counts are always kept."),
    )
    venue_disclosure_hours = forms.IntegerField(
        label=_("Disclose each session's place and link (hours before it starts)"),
        required=False, min_value=0, max_value=MAX_VENUE_DISCLOSURE_HOURS,
        help_text=_("For programs where meeting places must stay secret: until then only "
                    "the organization's staff, custodians and the session's facilitators see "
                    "the place and the online link, on every page, calendar and reminder. "
                    "0 to 720 hours; leave empty to show them at once."),
    )
    guardian_consent_under = forms.IntegerField(
        label=_("Guardian's consent for applicants younger than (years)"),
        required=False, min_value=MIN_GUARDIAN_CONSENT_AGE, max_value=MAX_GUARDIAN_CONSENT_AGE,
        help_text=_("Applicants then give their date of birth; those younger than this on the "
                    "program's first day name a parent or guardian, who is emailed a link to "
                    "consent or refuse. You can accept them only after consent. Leave empty "
                    "when no consent is needed."),
    )

    def __init__(self, *args, sides=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.group_errors: dict[str, list[str]] = {"sides": []}
        zone = timezone.get_current_timezone_name()
        self.fields["applications_close_at"].help_text = _(
            "In your timezone (%(zone)s). Leave empty to accept applications until you "
            "close the program."
        ) % {"zone": zone}
        if self.is_bound:
            ids = self.data.getlist("side_id")
            names = self.data.getlist("side_name")
            self.side_rows = [(sid, name) for sid, name in zip(ids, names, strict=False)]
        else:
            self.side_rows = [(str(side.pk), side.name) for side in sides]
            self.side_rows += [("", "")] * EXTRA_SIDE_ROWS

    def clean(self):
        cleaned = super().clean()
        specs = []
        for side_id, name in self.side_rows:
            name = name.strip()
            if not name:
                continue  # a blank new row is ignored; a blank existing side is removed
            if side_id and not side_id.isdigit():
                raise ValidationError(_("A side could not be read. Reload the page."))
            specs.append(SideSpec(name=name, id=int(side_id) if side_id else None))
        cleaned["sides"] = specs
        return cleaned

    def program_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in self.fields}
        if not fields["timezone"]:
            del fields["timezone"]  # left empty: the creator's zone, or unchanged
        return fields

    def side_inputs(self):
        """Rows for the template: (index, id, name)."""
        return [(i, sid, name) for i, (sid, name) in enumerate(self.side_rows)]


class ApplyForm(forms.Form):
    side = forms.ModelChoiceField(label=_("Your side"), queryset=None, empty_label=None,
                                  widget=forms.RadioSelect)
    motivation = forms.CharField(
        label=_("Why do you want to take part?"), widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
        help_text=_("Seen only by the organizers."),
    )

    guardian_email = forms.EmailField(
        label=_("Your parent's or guardian's email"), max_length=254, required=False,
        help_text=_("We email them a link to see this program and consent. The organizers "
                    "can accept you only after they do."),
    )

    def __init__(self, *args, program, applicant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["side"].queryset = program.sides.all()
        # A convenience: the service decides (and refuses without a needed address).
        self.needs_birth_date = False
        if program.guardian_consent_under is None:
            del self.fields["guardian_email"]
        elif applicant is not None and applicant.is_authenticated:
            self._fit_guardian_field(program, applicant)

    def _fit_guardian_field(self, program, applicant) -> None:
        if applicant.birth_date is None:
            self.needs_birth_date = True
        elif age_on(applicant.birth_date, program.starts_on) < program.guardian_consent_under:
            self.fields["guardian_email"].required = True
        else:
            del self.fields["guardian_email"]

    def service_fields(self) -> dict:
        return {"side": self.cleaned_data["side"],
                "motivation": self.cleaned_data["motivation"],
                "guardian_email": self.cleaned_data.get("guardian_email", "")}


class GuardianDecisionForm(forms.Form):
    """The guardian's answer: their name, and the button they press (consent or refuse)."""

    guardian_name = forms.CharField(
        label=_("Your name"), max_length=200,
        help_text=_("As the applicant's parent or guardian. It is kept with your answer and "
                    "shown to the program's organizers."),
    )
    decision = forms.ChoiceField(choices=GuardianConsent.choices[1:], widget=forms.HiddenInput)


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *ProgramKind.choices])
    organization = forms.ChoiceField(label=_("Organization"), required=False)
    open = forms.BooleanField(label=_("Open for applications now"), required=False)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [("", _("All organizations"))] + [
            (org.slug, org.name) for org in organizations
        ]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"kind": data["kind"], "organization": data["organization"],
                "search": data["q"], "open_now": data["open"]}


class ApplicationFilterForm(forms.Form):
    side = forms.ChoiceField(label=_("Side"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *ApplicationStatus.choices])

    def __init__(self, *args, sides=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["side"].choices = [("", _("All sides"))] + [
            (str(side.pk), side.name) for side in sides
        ]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {"side": self.cleaned_data["side"], "status": self.cleaned_data["status"]}


class OrganizationSettingsForm(OrganizationForm):
    require_two_factor = forms.BooleanField(
        label=_("Staff must use two-factor sign-in"), required=False,
        help_text=_("Every member then confirms each sign-in with a code from an authenticator "
                    "app."),
    )
    identity_protection = forms.BooleanField(
        label=_("Identity protection"), required=False,
        help_text=_("No owner, coordinator, facilitator or custodian sees applicants' email, "
                    "legal name, date of birth or institution on any page, list, export or "
                    "API answer. A custodian reveals one person at a time, with a reason that "
                    "is logged and shown to that person. Messages still reach everyone."),
    )


class ActivityFilterForm(forms.Form):
    actor = forms.ModelChoiceField(label=_("Who"), queryset=User.objects.none(), required=False,
                                   empty_label=_("Anyone"))
    verb = forms.ChoiceField(label=_("What"), required=False)
    since = forms.DateField(label=_("From"), required=False, validators=[validate_date],
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, validators=[validate_date],
                            widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        log = ActivityLog.objects.filter(organization=organization)
        self.fields["actor"].queryset = User.objects.filter(
            pk__in=log.values("actor")).order_by("display_name")
        self.fields["actor"].label_from_instance = lambda user: user.display_name
        verbs = log.values_list("verb", flat=True).distinct()
        labelled = sorted(((verb, verb_label(verb)) for verb in verbs), key=lambda c: c[1])
        self.fields["verb"].choices = [("", _("Anything")), *labelled]
