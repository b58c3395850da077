"""The demo's reviews: several states, action items (some overdue), a published summary, enough
for the metrics page to say something; loading twice adds nothing and reminds nobody."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from watchkeeper.core import clock
from watchkeeper.core.models import Timer
from watchkeeper.demo.load import demo_load
from watchkeeper.reviews.models import ActionItem, Review

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_demo_has_reviews_in_several_states(db: Any, data_dir: Path) -> None:
    demo_load()
    reviews = Review.objects.all()
    assert reviews.count() >= 3
    assert {"open", "completed"} <= set(reviews.values_list("status", flat=True))
    assert reviews.filter(summary_state="published").exists()
    assert reviews.filter(status="open", due_at__lt=clock.now()).exists()
    today = clock.now().date()
    assert ActionItem.objects.filter(status__in=["open", "in_progress"], due_on__lt=today).exists()
    assert ActionItem.objects.filter(status="done").exists()
    reminders = ["reviews.due", "reviews.action", "reviews.summary_mail"]
    assert not Timer.objects.filter(kind__in=reminders, due_at__lte=clock.now()).exists()
    counts = (Review.objects.count(), ActionItem.objects.count())
    demo_load()
    assert (Review.objects.count(), ActionItem.objects.count()) == counts
