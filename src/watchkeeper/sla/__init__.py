"""SLA management: business calendars, SLA policies, live SLA clocks, breaches and reports."""
