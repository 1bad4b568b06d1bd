"""The Bulk Data endpoints: kick-off ($export at system, Patient and Group level), status polling and
cancellation, the NDJSON files, and Group read and search. Thin: parse, find, call the service, answer."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError as ApiValidationError

from waypoint.fhir.http import FhirView, error_response, fhir_response
from waypoint.patients.access import memberships
from waypoint.web.middleware import PROGRAM_SESSION_KEY

from . import groups, params, services, storage
from .models import ExportJob

PREFER = OpenApiParameter(
    "Prefer",
    str,
    OpenApiParameter.HEADER,
    required=True,
    enum=["respond-async"],
    description="Exports run in the background: the kick-off needs `Prefer: respond-async`.",
)
SCHEMA: dict[str, Any] = {
    "responses": {202: None, 400: dict, 401: dict, 403: dict, 404: dict, 429: dict},
    "tags": ["fhir-bulk"],
    "parameters": [PREFER],
}


def program_of(request):
    """The program a system or Patient-level export reads: the client's only program, or the one chosen in
    its session. A client in several programs without a session names one by exporting its Group."""
    mine = memberships(request.user)
    if len(mine) == 1:
        return mine[0].program
    chosen = request.session.get(PROGRAM_SESSION_KEY) if hasattr(request, "session") else None
    for membership in mine:
        if chosen is not None and membership.program_id == chosen:
            return membership.program
    if not mine:
        raise Http404
    raise ApiValidationError(
        {"program": "You work in several programs: export one of them through its Group (GET /fhir/Group lists them)."}
    )


class KickOffView(FhirView):
    checks_accept = False  # the specification lets a server process a kick-off whatever Accept says
    level = ExportJob.Level.SYSTEM
    http_method_names = ["get", "options"]  # not HEAD: a kick-off starts a job

    def program_and_group(self, request, group_id):
        return program_of(request), ""

    @extend_schema(**SCHEMA)
    def get(self, request, group_id=None):
        """Start a Bulk Data export (Prefer: respond-async); answers 202 with the status URL in Content-Location."""
        program, group = self.program_and_group(request, group_id)
        export_request = params.parse(request.GET, request.headers.get("Prefer", ""), self.level)
        try:
            job = services.kick_off(
                acting_user=request.user,
                program=program,
                level=self.level,
                request=export_request,
                request_url=request.build_absolute_uri(),
                group_id=group,
            )
        except services.TooManyExports as exc:
            return error_response(429, str(exc), {"Retry-After": "60"})
        location = request.build_absolute_uri(reverse("bulk:status", args=[job.pk]))
        return fhir_response(
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {
                        "severity": "information",
                        "code": "informational",
                        "diagnostics": "Export queued; poll the Content-Location URL for its status.",
                    }
                ],
            },
            202,
            {"Content-Location": location},
        )


class PatientKickOffView(KickOffView):
    level = ExportJob.Level.PATIENT


class GroupKickOffView(KickOffView):
    level = ExportJob.Level.GROUP

    def program_and_group(self, request, group_id):
        group = groups.find_group(request.user, group_id)
        return group.program, group.id


class StatusView(FhirView):
    checks_accept = False

    def job(self, request, job_id) -> ExportJob:
        job = services.owned_job(request.user, job_id)
        if job is None or job.status == ExportJob.Status.CANCELLED or job.files_removed_at is not None:
            raise Http404
        return job

    @extend_schema(responses={200: dict, 202: None, 404: dict, 500: dict}, tags=["fhir-bulk"])
    def get(self, request, job_id):
        """Status: 202 with X-Progress while it runs, 200 with the manifest when done, 500 if it failed."""
        job = self.job(request, job_id)
        if job.status == ExportJob.Status.FAILED:
            return error_response(500, f"The export failed: {job.error}")
        if job.status != ExportJob.Status.COMPLETE:
            response = HttpResponse(status=202)
            response["X-Progress"] = services.progress(job)
            response["Retry-After"] = "2"
            return response
        response = JsonResponse(services.manifest(job, request.build_absolute_uri))
        response["Expires"] = services.expires_at(job).strftime("%a, %d %b %Y %H:%M:%S GMT")
        return response

    @extend_schema(responses={202: dict, 404: dict}, tags=["fhir-bulk"])
    def delete(self, request, job_id):
        """Cancel the export (or discard a finished one): its files are removed; the status URL then says 404."""
        job = self.job(request, job_id)
        services.cancel(acting_user=request.user, job=job)
        return fhir_response(
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {
                        "severity": "information",
                        "code": "informational",
                        "diagnostics": "Export cancelled; files removed.",
                    }
                ],
            },
            202,
        )


class FileView(FhirView):
    checks_accept = False  # the files are NDJSON

    @extend_schema(responses={200: None, 404: dict}, tags=["fhir-bulk"])
    def get(self, request, job_id, filename):
        """One NDJSON output file, only to the client that started the export."""
        job = services.owned_job(request.user, job_id)
        if job is None or job.status != ExportJob.Status.COMPLETE or job.files_removed_at is not None:
            raise Http404
        if filename == services.NOTICE_FILE:  # the 42 CFR 2.32 notice of an export to an external recipient
            notice = services.part2_notice(job)
            if notice is None:
                raise Http404
            return HttpResponse(services.notice_file(notice), content_type="application/fhir+ndjson")
        file = next((f for f in job.files.all() if f.filename == filename and f.count), None)
        path = storage.file_path(job, filename)
        if file is None or not path.exists():
            raise Http404
        services.record_download(request.user, job, file)
        response = FileResponse(open(path, "rb"), content_type="application/fhir+ndjson")  # noqa: SIM115
        response["Content-Length"] = str(file.bytes_written)
        return response


class GroupReadView(FhirView):
    @extend_schema(responses={200: dict, 404: dict}, tags=["fhir-bulk"], operation_id="fhir_group_read")
    def get(self, request, group_id):
        """A Group (a program, or a level of care in it) with the number of its patients the client may see."""
        group = groups.find_group(request.user, group_id)
        return fhir_response(services.group_resource(request.user, group))


class GroupSearchView(FhirView):
    @extend_schema(responses={200: dict, 400: dict}, tags=["fhir-bulk"], operation_id="fhir_group_search")
    def get(self, request):
        """Groups of the client's programs; `_id` (comma-separated) and `name` (starts with, any case)."""
        unknown = sorted(set(request.GET) - {"_id", "name"})
        if unknown:
            return error_response(
                400, {name: f"{name} is not a search parameter of Group here (_id, name)." for name in unknown}
            )
        found = groups.groups_for(request.user)
        if "_id" in request.GET:
            ids = set(request.GET["_id"].split(","))
            found = [group for group in found if group.id in ids]
        if "name" in request.GET:
            name = request.GET["name"].lower()
            found = [group for group in found if group.name.lower().startswith(name)]
        entries = []
        for group in found:
            try:
                resource = services.group_resource(request.user, group)
            except PermissionDenied:
                continue  # a program where the client may read nothing
            entries.append(
                {
                    "fullUrl": request.build_absolute_uri(reverse("bulk:group-read", args=[group.id])),
                    "resource": resource,
                    "search": {"mode": "match"},
                }
            )
        return fhir_response(
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": len(entries),
                "link": [{"relation": "self", "url": request.build_absolute_uri()}],
                "entry": entries,
            }
        )
