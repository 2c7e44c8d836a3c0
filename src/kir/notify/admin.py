"""The notify app's admin pages: its webhooks' (kir.notify.webhooks.admin)."""

from kir.notify.webhooks import admin as webhooks_admin  # noqa: F401 (registers the pages)
