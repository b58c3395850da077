"""The timer kinds the on-call app owns; the engine's registry maps each to its handler."""

# Key: schedule id. Due now after every change to the schedule, then at its next hand-off.
HANDOFF = "oncall.handoff"
# Key: notice id. Hands one recorded notice to paging's outbox.
NOTICE = "oncall.notice"
