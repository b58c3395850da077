"""The engine role: a loop that runs due work from the database (nothing lives only in memory)."""
