"""The knowledge base and runbooks: what technicians read, follow and tick while they respond."""
