"""What several browser tests do the same way."""

from __future__ import annotations

import re
from typing import Any

from tests.accounts.factories import PASSWORD


def sign_in(page: Any, email: str) -> None:
    """Sign in through the login form and wait for the page it leads to."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_load_state("networkidle")
