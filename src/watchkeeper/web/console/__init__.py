"""The console's pages that combine several domain apps (the incident queue and the incident page
with SLA clocks, paging and alerts): above every domain app, below the URL map (ADR 0022)."""
