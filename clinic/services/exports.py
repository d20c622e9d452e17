"""CSV exports of what the pages show: a location's day (Today) and the provider's REMS form log.

Each export is built from the use case its page calls (`day_grid`, `rems_queue`), so it lists the same visits
and forms under the same access rule, and a provider's export of a day names only the patients they treat,
as the page does. Cells go through `clinic.domain.csv_cells`, so text a spreadsheet would run as a formula is
written as text. Instants are written in the location's zone, ISO 8601 with their UTC offset.

Every export is audited twice over: the unit of work notes each patient read (`patient.read`, via the export
endpoint), and the export itself writes one `export.*` row saying what was exported and how many rows.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from clinic.domain.csv_cells import csv_document
from clinic.domain.rems_form import RemsFormData, RemsFormStatus
from clinic.models.location import Location
from clinic.services.access import actor_provider_id
from clinic.services.actor import Actor
from clinic.services.audit import record_event
from clinic.services.calendar_views import DayGrid, Filters, Lane, day_grid
from clinic.services.locations import home_place
from clinic.services.rems_forms import rems_queue

DAY_COLUMNS = (
    "Start",
    "End",
    "Column",
    "Provider",
    "Patient",
    "Kind",
    "Dose number",
    "Status",
    "Ride",
    "Visit id",
)
REMS_COLUMNS = (
    "Session id",
    "Session date",
    "Patient id",
    "Patient",
    "Date of birth",
    "REMS enrolled on",
    "Setting",
    "Prescriber",
    "Dose (mg)",
    "Devices",
    "Lot number",
    "Checked in",
    "Monitoring started",
    "Discharged",
    "Monitoring minutes",
    "Blood pressure",
    "Sedation observed",
    "Sedation resolved",
    "Dissociation observed",
    "Dissociation resolved",
    "Serious adverse event",
    "Discharge overrides",
    "Override reason",
    "Due by",
    "Status",
    "Missing",
    "Submitted at",
    "Submitted by",
    "Confirmation",
)


@dataclass(frozen=True)
class CsvExport:
    """A CSV document (byte order mark included) and the file name to offer it under."""

    filename: str
    content: str
    rows: int


def _instant(value: datetime | None, zone: ZoneInfo) -> str | None:
    """ISO 8601 with the offset (2027-03-08T10:00:00-05:00), which spreadsheets read as a time."""
    return None if value is None else value.astimezone(zone).isoformat(timespec="seconds")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _lane_of(lanes: list[Lane], column: int) -> Lane | None:
    return next((lane for lane in lanes if lane.column <= column < lane.column + lane.width), None)


def _day_rows(grid: DayGrid) -> list[list[object]]:
    """A row per visit of the grid, by start; a visit of a patient the actor may not see shows, as on the
    page, only its times, column, provider and kind (no name, status, ride or link to the visit)."""
    zone = grid.location.zone
    providers = dict(grid.providers)
    rows: list[list[object]] = []
    for placed in sorted(grid.placed, key=lambda p: (p.visit.start, p.visit.id)):
        visit = placed.visit
        lane = _lane_of(grid.lanes, placed.column)
        shown = visit.patient_name is not None
        rows.append(
            [
                _instant(visit.start, zone),
                _instant(visit.end, zone),
                lane.title if lane else None,
                providers.get(visit.provider_id),
                visit.patient_name,
                visit.kind,
                visit.dose_number,
                visit.status if shown else None,
                visit.ride_status if shown else None,
                visit.id if shown else None,
            ]
        )
    return rows


def export_day(actor: Actor, location: Location, day: date, filters: Filters, now: datetime) -> CsvExport:
    """The visits of `location` on local date `day` as Today shows them to the actor, as CSV."""
    grid = day_grid(actor, location, day, filters)
    rows = _day_rows(grid)
    record_event(
        actor,
        "export.visits",
        now,
        object_type="location",
        object_id=location.id,
        details={
            "date": day.isoformat(),
            "provider_id": filters.provider_id,
            "kind": filters.kind,
            "only_mine": filters.only_mine,
            "rows": len(rows),
        },
    )
    name = _slug(location.name) or f"location-{location.id}"
    return CsvExport(f"visits-{name}-{day.isoformat()}.csv", csv_document(DAY_COLUMNS, rows), len(rows))


def _rems_row(appointment_id: int, form: RemsFormData) -> list[object]:
    zone = ZoneInfo(form.timezone)
    pressures = "; ".join(f"{bp.timepoint} {bp.systolic}/{bp.diastolic}" for bp in form.blood_pressure)
    return [
        appointment_id,
        form.session_date.isoformat(),
        form.patient.get("id"),
        form.patient.get("name"),
        form.patient.get("date_of_birth"),
        form.patient.get("rems_enrolled_on"),
        form.setting.get("name"),
        form.prescriber.get("name"),
        form.dose_mg,
        form.devices,
        form.lot_number,
        _instant(form.checked_in_at, zone),
        _instant(form.monitoring_started_at, zone),
        _instant(form.discharged_at, zone),
        form.monitoring_minutes,
        pressures,
        form.sedation.observed,
        form.sedation.resolved,
        form.dissociation.observed,
        form.dissociation.resolved,
        form.serious_adverse_event,
        "; ".join(form.discharge_overrides),
        form.discharge_override_reason,
        form.due_by.isoformat(),
        str(form.status),
        "; ".join(form.missing),
        _instant(form.submitted_at, zone),
        form.submitted_by,
        form.confirmation,
    ]


def export_rems_forms(actor: Actor, status: RemsFormStatus | None, now: datetime) -> CsvExport:
    """The REMS monitoring forms of the provider's discharged Spravato sessions (every status when None),
    the oldest due date first, as the provider's queue lists them, as CSV."""
    forms = rems_queue(actor, status, now)
    rows = [_rems_row(entry.appointment_id, entry.form) for entry in forms]
    provider_id = actor_provider_id(actor)
    record_event(
        actor,
        "export.rems_forms",
        now,
        object_type="provider",
        object_id=provider_id,
        details={"status": None if status is None else str(status), "rows": len(rows)},
    )
    today = now.astimezone(home_place().zone).date().isoformat()
    filename = f"rems-forms-{status or 'all'}-{today}.csv"
    return CsvExport(filename, csv_document(REMS_COLUMNS, rows), len(rows))
