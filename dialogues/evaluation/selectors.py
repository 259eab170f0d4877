"""Reads for evaluation: wave windows, who may see what, and a person's open surveys.

A wave's window follows the program (API.md "Default windows") unless staff opened or
closed it by hand. Windows are computed when read, so a rescheduled first or last
session moves them without any bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db.models import Count, Max, Min, Prefetch, QuerySet
from django.utils import timezone

from dialogues.evaluation.instruments import (
    INSTRUMENTS,
    Instrument,
    item_text,
    other_sides_text,
)
from dialogues.models import Evaluation, Respondent, Session, SessionStatus, SurveyResponse, Wave
from exchanges.models import Application, ApplicationStatus, Program, Side

WAVE_DAYS = 14
MONTH_DAYS = 30


class WaveState:
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class WaveWindow:
    wave: Wave
    opens_at: datetime
    closes_at: datetime

    @property
    def name(self) -> str:
        return self.wave.name

    def state(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if now < self.opens_at:
            return WaveState.UPCOMING
        if now < self.closes_at:
            return WaveState.OPEN
        return WaveState.CLOSED

    @property
    def is_open(self) -> bool:
        return self.state() == WaveState.OPEN


def _midnight(day) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class SessionBounds:
    first_start: datetime | None
    last_end: datetime | None


def session_bounds(program_ids) -> dict[int, SessionBounds]:
    """The first start and last end of each program's scheduled sessions: one query."""
    rows = (Session.objects.filter(program_id__in=list(program_ids),
                                   status=SessionStatus.SCHEDULED)
            .values("program_id").annotate(first=Min("starts_at"), last=Max("ends_at"))
            .order_by())
    return {row["program_id"]: SessionBounds(row["first"], row["last"]) for row in rows}


def default_window(wave_name: str, *, program: Program, created_at: datetime,
                   bounds: SessionBounds | None) -> tuple[datetime, datetime]:
    bounds = bounds or SessionBounds(None, None)
    if wave_name == "pre":
        return created_at, bounds.first_start or _midnight(program.starts_on)
    if wave_name == "post":
        opens = bounds.last_end or _midnight(program.ends_on + timedelta(days=1))
    else:
        months = int(wave_name[1:])
        opens = _midnight(program.ends_on) + timedelta(days=months * MONTH_DAYS)
    return opens, opens + timedelta(days=WAVE_DAYS)


def window_of(wave: Wave, *, program: Program, created_at: datetime,
              bounds: SessionBounds | None) -> WaveWindow:
    if wave.opened_at is not None:
        opens, closes = wave.opened_at, wave.opened_at + timedelta(days=WAVE_DAYS)
    else:
        opens, closes = default_window(wave.name, program=program, created_at=created_at,
                                       bounds=bounds)
    if wave.closed_at is not None:
        closes = wave.closed_at
    return WaveWindow(wave=wave, opens_at=opens, closes_at=closes)


def wave_windows(evaluation: Evaluation) -> list[WaveWindow]:
    """Every wave of the evaluation in order, with its window (uses prefetched waves)."""
    program_id = evaluation.program_id
    return windows_with(evaluation, session_bounds([program_id]).get(program_id))


def windows_with(evaluation: Evaluation, bounds: SessionBounds | None) -> list[WaveWindow]:
    """As wave_windows, with the program's session bounds already read."""
    return [window_of(wave, program=evaluation.program, created_at=evaluation.created_at,
                      bounds=bounds)
            for wave in sorted(evaluation.waves.all(), key=lambda w: w.position)]


def opening_problem(windows: list[WaveWindow], window: WaveWindow) -> str | None:
    """Why this wave cannot be opened by hand now, or None: waves open in order, once."""
    if window.state() != WaveState.UPCOMING:
        return "already"
    if any(w.state() != WaveState.CLOSED for w in windows
           if w.wave.position < window.wave.position):
        return "order"
    return None


def evaluation_of(program: Program) -> Evaluation | None:
    return (Evaluation.objects.filter(program=program).select_related("program")
            .prefetch_related(Prefetch("waves", queryset=Wave.objects.order_by("position")))
            .first())


def has_responses(evaluation: Evaluation) -> bool:
    return SurveyResponse.objects.filter(wave__evaluation=evaluation).exists()


def response_counts(evaluation: Evaluation) -> dict[str, int]:
    """How many responses each wave has (for the staff's settings page)."""
    return dict(Wave.objects.filter(evaluation=evaluation)
                .annotate(n=Count("responses")).values_list("name", "n"))


# --- A person's surveys -----------------------------------------------------------------


@dataclass(frozen=True)
class SurveyItem:
    key: str
    text: str
    min: int
    max: int
    instrument: Instrument
    reverse: bool


@dataclass(frozen=True)
class OpenSurvey:
    program: Program
    side: Side
    window: WaveWindow
    items: list[SurveyItem]

    @property
    def wave(self) -> str:
        return self.window.name

    @property
    def closes_at(self) -> datetime:
        return self.window.closes_at

    def instruments(self) -> list[tuple[Instrument, list[SurveyItem]]]:
        grouped: dict[str, list[SurveyItem]] = {}
        for item in self.items:
            grouped.setdefault(item.instrument.key, []).append(item)
        return [(INSTRUMENTS[key], items) for key, items in grouped.items()]


def survey_items(instrument_keys: list[str], other_sides: str) -> list[SurveyItem]:
    return [
        SurveyItem(key=item.key, text=item_text(item, other_sides), min=instrument.min,
                   max=instrument.max, instrument=instrument, reverse=item.reverse)
        for key in instrument_keys for instrument in [INSTRUMENTS[key]]
        for item in instrument.items
    ]


def other_side_names(program: Program, side: Side) -> str:
    """Uses the program's prefetched sides."""
    return other_sides_text([s.name for s in program.sides.all() if s.pk != side.pk])


def surveys_of(user, *, program_id: int | None = None, include_answered: bool = False
               ) -> list[OpenSurvey]:
    """The open waves of the programs `user` is accepted to, not yet answered (unless
    asked), leaving out programs whose surveys the person declined. Constant queries."""
    if not user.is_authenticated:
        return []
    applications = (Application.objects.filter(applicant=user,
                                               status=ApplicationStatus.ACCEPTED,
                                               program__evaluation__isnull=False)
                    .select_related("side", "program__organization",
                                    "program__evaluation")
                    .prefetch_related("program__sides",
                                      Prefetch("program__evaluation__waves",
                                               queryset=Wave.objects.order_by("position")))
                    .order_by("program__starts_on", "program_id"))
    if program_id is not None:
        applications = applications.filter(program_id=program_id)
    applications = list(applications)
    if not applications:
        return []
    program_ids = [a.program_id for a in applications]
    respondents = {r.program_id: r for r in Respondent.objects.filter(
        user=user, program_id__in=program_ids)}
    answered = set(SurveyResponse.objects.filter(respondent__in=respondents.values())
                   .values_list("wave_id", flat=True))
    bounds = session_bounds(program_ids)
    surveys = []
    for application in applications:
        respondent = respondents.get(application.program_id)
        if respondent is not None and respondent.declined_at is not None:
            continue
        program = application.program
        evaluation = program.evaluation
        evaluation.program = program
        windows = windows_with(evaluation, bounds.get(program.pk))
        names = other_side_names(program, application.side)
        for window in windows:
            if not window.is_open or (window.wave.pk in answered and not include_answered):
                continue
            surveys.append(OpenSurvey(program=program, side=application.side, window=window,
                                      items=survey_items(evaluation.instruments, names)))
    return surveys


def has_answered(user, wave: Wave) -> bool:
    return SurveyResponse.objects.filter(wave=wave, respondent__user=user).exists()


def evaluations_of_organization(organization_id: int) -> QuerySet[Evaluation]:
    return (Evaluation.objects.filter(program__organization_id=organization_id)
            .select_related("program").prefetch_related("program__sides", "waves")
            .order_by("program__starts_on", "program_id"))
