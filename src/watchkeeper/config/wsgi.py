"""WSGI entry point for gunicorn (`watchkeeper web`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.config.settings")
application = get_wsgi_application()

# The installation's secret key, loaded before the first request rather than inside one.
from watchkeeper.config.secret import secret_key_preload  # noqa: E402 — needs the app loaded

secret_key_preload()

# Ingest requests skip the browser middleware (measured: most of their cost); see the docstring.
from watchkeeper.alerts.views.common import ingest_fast_path  # noqa: E402 — needs the app loaded

application = ingest_fast_path(application)  # type: ignore[assignment]  # still a WSGI callable
