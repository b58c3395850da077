"""Alert intake: integrations, the durable inbox, parsing, event rules, dedup and alerts."""
