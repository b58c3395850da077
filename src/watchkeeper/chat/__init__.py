"""Team chat: incident events posted to client and NOC channels, the leadership digest, and slash commands."""
