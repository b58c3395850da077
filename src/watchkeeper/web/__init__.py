"""The shell every page shares: base layout, static files, error mapping and operations endpoints."""
