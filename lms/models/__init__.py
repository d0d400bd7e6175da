"""All models, importable from one place (Alembic and the app need them registered)."""

from lms.models.api import ApiToken
from lms.models.audit import AuditEvent, AuditHead
from lms.models.content import Clause, Module, ModuleVersion, PolicyVersion, Scenario
from lms.models.outbox import OutboxKind, OutboxMessage, OutboxState
from lms.models.people import ImportRun, Person, PersonRole, Role, StaffType, Unit, UnitKind
from lms.models.requests import Delegation, Request, RequestEvent, RequestKind, RequestState
from lms.models.rollups import (
    CompletionCount,
    CompletionDirty,
    CompletionPeople,
    CompletionState,
    CompletionUnit,
    PassCount,
    RequestCount,
    ScoreCount,
    TrustPassCount,
    TrustScoreCount,
)
from lms.models.sessions import WebSession
from lms.models.sso import SsoLink
from lms.models.training import (
    Answer,
    Attempt,
    AttemptItem,
    AttemptState,
    Contest,
    ModuleProgress,
    Outcome,
    ReminderLog,
)
from lms.models.two_factor import RecoveryCode, TwoFactorSecret

__all__ = [
    "RecoveryCode",
    "SsoLink",
    "TwoFactorSecret",
    "ApiToken",
    "Answer",
    "AuditEvent",
    "AuditHead",
    "Attempt",
    "AttemptItem",
    "AttemptState",
    "Clause",
    "CompletionCount",
    "CompletionDirty",
    "CompletionPeople",
    "CompletionState",
    "CompletionUnit",
    "Delegation",
    "ImportRun",
    "Contest",
    "Module",
    "ModuleProgress",
    "ModuleVersion",
    "Outcome",
    "OutboxKind",
    "OutboxMessage",
    "OutboxState",
    "PassCount",
    "Person",
    "PersonRole",
    "PolicyVersion",
    "ReminderLog",
    "RequestCount",
    "ScoreCount",
    "Request",
    "RequestEvent",
    "RequestKind",
    "RequestState",
    "Role",
    "Scenario",
    "TrustPassCount",
    "TrustScoreCount",
    "StaffType",
    "Unit",
    "UnitKind",
    "WebSession",
]
