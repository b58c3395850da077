"""WSGI entry point for gunicorn (`watchkeeper web`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.config.settings")
application = get_wsgi_application()
