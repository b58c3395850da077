"""The audit log page (owners, admins, managers)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from watchkeeper.audit.selectors import audit_list
from watchkeeper.core.pagination import paginate
from watchkeeper.tenancy.http import AuthenticatedHttpRequest


@login_required
def audit_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    entries = audit_list(actor=request.user, query=query).select_related("client")
    page = paginate(entries, page=request.GET.get("page"), size=50)
    return render(request, "audit/list.html", {"page": page, "query": query})
