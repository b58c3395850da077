"""HTTP adapters of alert intake: console pages, and what every ingest endpoint shares (common.py);
the endpoints themselves live with their source in sources/<kind>/."""
