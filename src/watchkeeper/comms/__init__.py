"""Client communication: who at a client is told what and how often, the e-mails and the replies."""
