"""Models of alert intake, re-exported from their sub-domain modules."""

from watchkeeper.alerts.models.alerts import Alert, AlertStatus, Severity
from watchkeeper.alerts.models.inbox import InboxEvent, InboxStatus
from watchkeeper.alerts.models.integrations import Integration, IntegrationType
from watchkeeper.alerts.models.rules import EventRule, MaintenanceWindow

__all__ = [
    "Alert",
    "AlertStatus",
    "EventRule",
    "InboxEvent",
    "InboxStatus",
    "Integration",
    "IntegrationType",
    "MaintenanceWindow",
    "Severity",
]
