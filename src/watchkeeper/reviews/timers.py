"""The timer kinds the reviews app owns; the engine's registry maps each to its handler."""

# Key: incident id. Set by incidents when an incident is resolved (incidents lists the kind by
# name, since it may not import reviews); the handler opens a review when the policy asks.
INCIDENT_RESOLVED = "reviews.resolved"
# Key: review id. Payload {"stage": "reminder" | "overdue"}: the owner is reminded before the
# due time; at the due time an unfinished review reaches the managers.
REVIEW_DUE = "reviews.due"
# Key: action item id. Same stages as REVIEW_DUE, for an action item's due date.
ACTION_DUE = "reviews.action"
# Key: review id. E-mails a published client summary to the client's contacts.
SUMMARY_MAIL = "reviews.summary_mail"
