"""Forms of the exchanges pages: they check shape; the services decide the rules."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from core import content
from core.validity import validate_date
from core.widgets import FlatSelect
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

    main_language = forms.ChoiceField(
        label=_("Main language"), choices=settings.LANGUAGES, required=False,
        help_text=_("The language the fields above are written in. Readers whose language "
                    "the program is not written in see this one."))
    other_languages = forms.MultipleChoiceField(
        label=_("Also written in"), choices=settings.LANGUAGES, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick a language and save: its fields appear below."))

    def __init__(self, *args, sides=(), program=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.sides = [side for side in sides if side.pk]
        self._add_translation_fields()
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
            self.side_rows = [(str(side.pk), content.main_text(side, "name")) for side in sides]
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
            specs.append(SideSpec(name=name, id=int(side_id) if side_id else None,
                                  translations=self._side_translations(side_id, name)))
        cleaned["sides"] = specs
        return cleaned

    # --- The texts in each of the program's languages ---

    def _add_translation_fields(self) -> None:
        """One group of fields per language the program is written in besides its main
        one; their names end in the language code (title_tr, side_7_name_tr)."""
        self.translation_languages = self.program.languages[1:] if self.program else []
        for language in self.translation_languages:
            name = get_language_info(language)["name_local"]
            for field in ("title", "summary", "description"):
                base = self.fields[field]
                self.fields[content.column(field, language)] = forms.CharField(
                    label=f"{base.label} ({name})", max_length=base.max_length,
                    required=False,
                    widget=type(base.widget)(attrs={"lang": language, "dir": "auto"}))
            for position, side in enumerate(self.sides, start=1):
                self.fields[f"side_{side.pk}_{content.column('name', language)}"] = (
                    forms.CharField(label=_("Side %(n)d (%(language)s)") % {
                        "n": position, "language": name}, max_length=80, required=False,
                        widget=forms.TextInput(attrs={"lang": language, "dir": "auto"})))
        if self.program and not self.is_bound:
            for language in self.translation_languages:
                for field in ("title", "summary", "description"):
                    name = content.column(field, language)
                    self.initial[name] = getattr(self.program, name) or ""
                for side in self.sides:
                    self.initial[f"side_{side.pk}_{content.column('name', language)}"] = (
                        getattr(side, content.column("name", language)) or "")

    def translation_groups(self):
        """For the template: (language code, language name, its bound fields)."""
        return [
            (language, get_language_info(language)["name_local"],
             [self[name] for name in self.fields if name.endswith(f"_{language}")])
            for language in self.translation_languages
        ]

    def _current_languages(self) -> list[str]:
        return list(self.program.languages) if self.program else [content.active_language()]

    def languages(self) -> list[str]:
        """As chosen; as they were when the form sent no choice of languages at all."""
        main = self.cleaned_data.get("main_language")
        if not main:
            return self._current_languages()
        return [main] + [code for code in self.cleaned_data["other_languages"] if code != main]

    def _written_in(self) -> str:
        """The language the main fields were shown in (their texts are in it)."""
        if self.program:
            return self.program.main_language
        return self.cleaned_data.get("main_language") or content.active_language()

    def _side_translations(self, side_id: str, name: str) -> dict:
        texts = {self._written_in(): name}
        for language in self.translation_languages:
            key = f"side_{side_id}_{content.column('name', language)}"
            if side_id and key in self.cleaned_data:
                texts[language] = self.cleaned_data[key]
        return {"name": texts}

    def translations(self) -> dict:
        """{field: {language: text}} in the languages the program keeps."""
        keep = set(self.languages())
        texts = {field: {self._written_in(): self.cleaned_data[field]}
                 for field in ("title", "summary", "description")}
        for language in self.translation_languages:
            for field in texts:
                texts[field][language] = self.cleaned_data[content.column(field, language)]
        return {field: {code: text for code, text in by_language.items() if code in keep}
                for field, by_language in texts.items()}

    def program_fields(self) -> dict:
        """Everything but the texts, which translations() gives by language."""
        fields = {name: self.cleaned_data[name] for name in self.base_fields
                  if name not in ("title", "summary", "description", "main_language",
                                  "other_languages")}
        if not fields["timezone"]:
            del fields["timezone"]  # left empty: the creator's zone, or unchanged
        return {**fields, "languages": self.languages(), "translations": self.translations()}

    def sides_in_languages(self) -> list[SideSpec]:
        """The sides, their texts kept only in the program's languages."""
        keep = set(self.languages())
        return [
            SideSpec(name=spec.name, id=spec.id, translations={"name": {
                code: text for code, text in spec.translations["name"].items() if code in keep}})
            for spec in self.cleaned_data["sides"]
        ]

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
    organization = forms.ChoiceField(label=_("Organization"), required=False, widget=FlatSelect)
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
