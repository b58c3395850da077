"""Settings, URL map, the one NinjaAPI and the WSGI entry point."""
