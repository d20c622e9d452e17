"""SQLAlchemy models, one aggregate per module; importing this package registers them all."""

from clinic.models.alert import Alert
from clinic.models.appointment import Appointment, Dose
from clinic.models.audit import AuditEvent
from clinic.models.base import Base
from clinic.models.chair import Chair
from clinic.models.feed import FeedToken
from clinic.models.location import Location, LocationClosure
from clinic.models.measurement import Measurement
from clinic.models.message import InboundMessage
from clinic.models.patient import Patient
from clinic.models.plan_item import StandingPlanItem
from clinic.models.protocol import Protocol
from clinic.models.provider import Provider, ProviderAvailability, ProviderTimeOff
from clinic.models.questionnaire import QuestionnaireLinkUse
from clinic.models.reminder import Reminder
from clinic.models.rems_form import RemsForm
from clinic.models.scheduler import SchedulerHeartbeat
from clinic.models.series import Series
from clinic.models.transport import Transport
from clinic.models.user import AuthToken, User

__all__ = [
    "Alert",
    "Appointment",
    "AuditEvent",
    "AuthToken",
    "Base",
    "Chair",
    "Dose",
    "FeedToken",
    "InboundMessage",
    "Location",
    "LocationClosure",
    "Measurement",
    "Patient",
    "Protocol",
    "Provider",
    "ProviderAvailability",
    "ProviderTimeOff",
    "QuestionnaireLinkUse",
    "Reminder",
    "RemsForm",
    "SchedulerHeartbeat",
    "Series",
    "StandingPlanItem",
    "Transport",
    "User",
]
