"""Ingest sources, one folder per kind: its wire format (`parse.py`), its endpoint (`views.py`,
`urls.py`), its setup text (`setup.py`) and its `SOURCE` entry (`__init__.py`). The web side
validates a request with the same parser the engine uses on the inbox row, so a row that was
accepted always parses. `registry.py` lists the sources; see docs/intake.md, "Adding a source"."""
