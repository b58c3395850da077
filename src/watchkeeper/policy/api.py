"""REST adapters for the incident policy (filled in with the policy capability)."""

from ninja import Router

router = Router(tags=["policy"])
