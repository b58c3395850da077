"""Ingest endpoints at the paths other tools expect (see DESIGN.md section 7): each source's
own `urls.py`, as the registry lists them."""

from importlib import import_module

from django.urls import include, path

from watchkeeper.alerts.sources.registry import SOURCES
from watchkeeper.alerts.views.common import RawHandler

app_name = "ingest"

_modules = [import_module(source.urls) for source in SOURCES if source.urls]

urlpatterns = [path("", include(module)) for module in _modules]

# The fast path's routes below Django's request and response (see views/common.py), by path.
raw_routes: dict[str, RawHandler] = {
    route: handler for module in _modules for route, handler in getattr(module, "raw_routes", {}).items()
}
