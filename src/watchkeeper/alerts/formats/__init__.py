"""Wire formats: each module validates a request body at ingest and parses an inbox row into
normalised events in the engine. Both sides call the same parser, so a row that was accepted
always parses."""
