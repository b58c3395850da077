"""The incident policy page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def policy_page(request: HttpRequest) -> HttpResponse:
    return render(request, "policy/page.html", {})
