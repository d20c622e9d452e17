"""The access policy: what each staff role may do, and to whose data. The one home of that rule.

Every use case asks `reach(role, action)` (through `clinic.services.access.authorize`), and both edges derive
their role gates from the same table (`roles_for`), so a page and an API endpoint cannot disagree.

Reach says whose records an action may touch:
- ``ANY``: any patient of the clinic (front desk), or the clinic's configuration (admin);
- ``TREATED``: only patients the provider treats. Treating is decided by who the clinic assigned (a series or
  a visit with that provider); an action a provider may take never widens it, because providers book only for
  patients they already treat and only with themselves;
- ``SELF``: only the actor's own record (a provider's own calendar feed);
- ``NONE``: refused.
"""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    FRONTDESK = "frontdesk"
    PROVIDER = "provider"


class Reach(StrEnum):
    NONE = "none"
    ANY = "any"
    TREATED = "treated"
    SELF = "self"


class Action(StrEnum):
    """Everything a signed-in staff member can ask for, named by what it touches."""

    CLINIC_READ = "clinic.read"  # locations, chairs, providers, protocols (no patient data)
    CLINIC_CONFIGURE = "clinic.configure"
    USERS_MANAGE = "users.manage"
    PATIENT_READ = "patient.read"
    PATIENT_REGISTER = "patient.register"
    PATIENT_EDIT = "patient.edit"  # identity and contact data
    SERIES_BOOK = "series.book"
    SERIES_READ = "series.read"
    SERIES_CHANGE = "series.change"  # cancel or re-plan the rest of a series
    VISIT_BOOK = "visit.book"
    VISIT_READ = "visit.read"
    FLOOR_READ = "floor.read"  # the floor board: every chair of a location now (names of treated patients)
    VISIT_CHANGE = "visit.change"  # move, cancel, no-show
    VISIT_CHECK_IN = "visit.check_in"  # check-in and its undo
    VISIT_DISCHARGE = "visit.discharge"  # discharge once every rule holds (the escort rule overridable)
    VISIT_DISCHARGE_OVERRIDE = "visit.discharge_override"  # discharge despite the clinical rules
    DOSE_RECORD = "dose.record"  # the dose of a session and its corrections
    RIDE_MANAGE = "ride.manage"
    RIDE_READ = "ride.read"  # the at-risk list
    REMINDERS_READ = "reminders.read"
    OUTBOX_MANAGE = "outbox.manage"
    PATIENT_FEED_MANAGE = "feed.patient"
    PROVIDER_FEED_MANAGE = "feed.provider"
    LOCATION_FEED_MANAGE = "feed.location"
    MONITORING_READ = "monitoring.read"  # measurements, plan, trend, timeline, REMS forms
    MEASUREMENT_RECORD = "measurement.record"  # measurements and their corrections
    ALERT_ACKNOWLEDGE = "alert.acknowledge"
    REMS_FORM_SUBMIT = "rems_form.submit"
    FOLLOW_UP_BOOK = "follow_up.book"
    MESSAGES_READ = "messages.read"  # texts patients sent the clinic
    MESSAGES_HANDLE = "messages.handle"  # mark a patient's text as handled
    QUESTIONNAIRE_LINK_SEND = "questionnaire_link.send"  # the patient's PHQ-9/GAD-7 link for a visit


_A, _F, _P = Role.ADMIN, Role.FRONTDESK, Role.PROVIDER
ANY, TREATED, SELF = Reach.ANY, Reach.TREATED, Reach.SELF

POLICY: dict[Action, dict[Role, Reach]] = {
    Action.CLINIC_READ: {_A: ANY, _F: ANY, _P: ANY},
    Action.CLINIC_CONFIGURE: {_A: ANY},
    Action.USERS_MANAGE: {_A: ANY},
    Action.PATIENT_READ: {_F: ANY, _P: TREATED},
    Action.PATIENT_REGISTER: {_F: ANY},
    Action.PATIENT_EDIT: {_F: ANY},
    Action.SERIES_BOOK: {_F: ANY, _P: TREATED},
    Action.SERIES_READ: {_F: ANY, _P: TREATED},
    Action.SERIES_CHANGE: {_F: ANY},
    Action.VISIT_BOOK: {_F: ANY},
    Action.VISIT_READ: {_F: ANY, _P: TREATED},
    Action.FLOOR_READ: {_F: ANY, _P: TREATED},
    Action.VISIT_CHANGE: {_F: ANY},
    Action.VISIT_CHECK_IN: {_F: ANY},
    Action.VISIT_DISCHARGE: {_F: ANY, _P: TREATED},
    Action.VISIT_DISCHARGE_OVERRIDE: {_P: TREATED},
    Action.DOSE_RECORD: {_P: TREATED},
    Action.RIDE_MANAGE: {_F: ANY},
    Action.RIDE_READ: {_F: ANY, _P: TREATED},
    Action.REMINDERS_READ: {_F: ANY, _P: TREATED},
    Action.OUTBOX_MANAGE: {_F: ANY},
    Action.PATIENT_FEED_MANAGE: {_F: ANY},
    Action.PROVIDER_FEED_MANAGE: {_A: ANY, _P: SELF},
    Action.LOCATION_FEED_MANAGE: {_A: ANY},
    Action.MONITORING_READ: {_P: TREATED},
    Action.MEASUREMENT_RECORD: {_P: TREATED},
    Action.ALERT_ACKNOWLEDGE: {_P: TREATED},
    Action.REMS_FORM_SUBMIT: {_P: TREATED},
    Action.FOLLOW_UP_BOOK: {_F: ANY, _P: TREATED},
    Action.MESSAGES_READ: {_F: ANY, _P: TREATED},
    Action.MESSAGES_HANDLE: {_F: ANY, _P: TREATED},
    Action.QUESTIONNAIRE_LINK_SEND: {_F: ANY, _P: TREATED},
}

DESCRIPTIONS: dict[Action, str] = {
    Action.CLINIC_READ: "see locations, chairs, providers and protocols",
    Action.CLINIC_CONFIGURE: "create and change locations, closures, chairs and providers",
    Action.USERS_MANAGE: "create, change and disable staff accounts",
    Action.PATIENT_READ: "find and open a patient's record",
    Action.PATIENT_REGISTER: "register a patient",
    Action.PATIENT_EDIT: "change a patient's identity and contact data",
    Action.SERIES_BOOK: "preview and book a dosing series (providers: with themselves as provider)",
    Action.SERIES_READ: "see a series and its visits",
    Action.SERIES_CHANGE: "cancel or re-plan the rest of a series",
    Action.VISIT_BOOK: "book a single visit",
    Action.VISIT_READ: "see visits (Today, lists, a visit's page)",
    Action.FLOOR_READ: "see the floor board: each chair's visit now, its phase and next check (providers: "
    "every chair, patient names only of patients they treat)",
    Action.VISIT_CHANGE: "move or cancel a visit, record a no-show",
    Action.VISIT_CHECK_IN: "check a patient in, and undo a check-in made by mistake",
    Action.VISIT_DISCHARGE: "discharge a patient once every rule holds (staff may pass the escort rule)",
    Action.VISIT_DISCHARGE_OVERRIDE: "discharge despite a clinical rule (dose, monitoring, checks, vitals)",
    Action.DOSE_RECORD: "record the dose given at a session, and correct it",
    Action.RIDE_MANAGE: "record rides home and call outcomes",
    Action.RIDE_READ: "see rides at risk",
    Action.REMINDERS_READ: "see a visit's reminders",
    Action.OUTBOX_MANAGE: "see the outbox and retry failed messages",
    Action.PATIENT_FEED_MANAGE: "issue and revoke a patient's calendar feed",
    Action.PROVIDER_FEED_MANAGE: "issue and revoke a provider's calendar feed",
    Action.LOCATION_FEED_MANAGE: "issue and revoke a location's calendar feed",
    Action.MONITORING_READ: "see measurements, the monitoring plan, trend, timeline and REMS forms",
    Action.MEASUREMENT_RECORD: "record and correct measurements",
    Action.ALERT_ACKNOWLEDGE: "acknowledge an alert",
    Action.REMS_FORM_SUBMIT: "mark a REMS monitoring form as submitted",
    Action.FOLLOW_UP_BOOK: "book a follow-up that is due",
    Action.MESSAGES_READ: "read the texts patients sent the clinic (providers: of patients they treat; texts "
    "from unknown numbers: front desk only)",
    Action.MESSAGES_HANDLE: "mark a patient's text as handled",
    Action.QUESTIONNAIRE_LINK_SEND: "send or re-send a patient the link to their questionnaire for a visit",
}


def reach(role: str | None, action: Action) -> Reach:
    """How far the role's permission for the action reaches (``NONE`` for unknown roles)."""
    if role is None or role not in Role.__members__.values():
        return Reach.NONE
    return POLICY[action].get(Role(role), Reach.NONE)


def may(role: str | None, action: Action) -> bool:
    """Whether the role may take the action on at least some records."""
    return reach(role, action) is not Reach.NONE


def roles_for(action: Action) -> tuple[Role, ...]:
    """The roles that may take the action on at least some records."""
    return tuple(role for role, granted in POLICY[action].items() if granted is not Reach.NONE)


def needs_care_relation(role: str | None, action: Action) -> bool:
    """Whether the action is limited to the patients the actor treats."""
    return reach(role, action) is Reach.TREATED


REACH_WORDS = {
    Reach.NONE: "—",
    Reach.ANY: "any",
    Reach.TREATED: "patients they treat",
    Reach.SELF: "their own",
}


def policy_table_markdown() -> str:
    """The policy as the Markdown table docs/security.md shows (a test keeps the two the same)."""
    roles = list(Role)
    lines = [
        "| action | what it allows | " + " | ".join(roles) + " |",
        "|---|---|" + "---|" * len(roles),
    ]
    for action in Action:
        cells = [REACH_WORDS[POLICY[action].get(role, Reach.NONE)] for role in roles]
        lines.append(f"| `{action}` | {DESCRIPTIONS[action]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
