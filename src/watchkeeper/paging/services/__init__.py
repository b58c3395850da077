"""Writes of the paging app. `notification_send` is the entry point other apps use to tell a
person something through their own notification rules."""

from watchkeeper.paging.services.notify import notification_send

__all__ = ["notification_send"]
