"""The incident policy page, its YAML download and upload. Thin: selectors and services decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from watchkeeper.core.errors import InvalidInput
from watchkeeper.policy import selectors, services
from watchkeeper.policy.markup import markdown_html
from watchkeeper.tenancy import access
from watchkeeper.tenancy.http import AuthenticatedHttpRequest

_MAX_UPLOAD = 1024 * 1024  # a policy is a few kilobytes; refuse anything far bigger


def _page(request: AuthenticatedHttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    view = selectors.policy_get()
    context = {
        "view": view,
        "sections": [(section, markdown_html(section.description)) for section in view.sections],
        "can_edit": access.can(request.user, "policy.edit"),
        "error": error,
    }
    return render(request, "policy/page.html", context, status=status)


@login_required
@require_safe
def policy_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require(request.user, "policy.view")
    return _page(request)


@login_required
@require_safe
def policy_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require(request.user, "policy.view")
    response = HttpResponse(services.policy_export_yaml(), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="incident-policy.yaml"'
    return response


def _read_upload(upload: UploadedFile | None) -> str:
    if upload is None:
        raise InvalidInput("Choose a YAML file to upload.", field="file")
    if (upload.size or 0) > _MAX_UPLOAD:
        raise InvalidInput("The file is larger than 1 MB; a policy file is a few kilobytes.", field="file")
    try:
        return upload.read().decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text.", field="file") from None


@login_required
@require_POST
def policy_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require(request.user, "policy.edit")
    try:
        text = _read_upload(request.FILES.get("file"))
        services.policy_import_yaml(text, actor=request.user, via="console")
    except InvalidInput as exc:  # PolicyFileError included: it names the line
        return _page(request, error=exc.message, status=400)
    messages.success(request, "Imported the incident policy. The previous version is in the audit log.")
    return redirect("policy:page")
