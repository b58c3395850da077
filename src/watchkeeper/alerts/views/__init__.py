"""HTTP adapters of alert intake: ingest endpoints (wire formats) and console pages."""
