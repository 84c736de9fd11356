"""The audit trail for admins: filter it, read it, export it as CSV."""

import csv
import json
from collections.abc import Iterator

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from portal.audit.models import AuditEntry
from portal.lib.spreadsheet import inert
from portal.web.pages import page_of, render_page
from portal.web.rules import rule

ENTRIES_PER_PAGE = 50


class AuditFilter(forms.Form):
    action = forms.CharField(required=False, help_text="e.g. site.updated, or site.")
    actor = forms.CharField(required=False, label="Who", help_text="Part of an email.")
    since = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _filtered(request: HttpRequest) -> tuple[AuditFilter, QuerySet[AuditEntry]]:
    form = AuditFilter(request.GET or None)
    entries = AuditEntry.objects.all()
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            entries = entries.filter(action__startswith=data["action"].strip())
        if data["actor"]:
            entries = entries.filter(actor_label__icontains=data["actor"].strip())
        if data["since"]:
            entries = entries.filter(at__date__gte=data["since"])
        if data["until"]:
            entries = entries.filter(at__date__lte=data["until"])
    return form, entries


@rule("admin")
def audit_list(request: HttpRequest) -> HttpResponse:
    form, entries = _filtered(request)
    page = page_of(request, entries, ENTRIES_PER_PAGE)
    query = request.GET.urlencode()
    return render_page(
        request, "web/audit.html", {"form": form, "page": page, "query": query}
    )


@rule("admin")
def audit_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form, entries = _filtered(request)
    if form.is_bound and not form.is_valid():
        problems = "; ".join(
            f"{field}: {' '.join(str(e) for e in errors)}"
            for field, errors in form.errors.items()
        )
        return HttpResponse(
            f"Bad filter: {problems}", status=400, content_type="text/plain"
        )
    response = StreamingHttpResponse(_csv_rows(entries), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(
        ["time (UTC)", "who", "address", "action", "target", "changes"]
    )
    for entry in entries.iterator(chunk_size=1000):
        changes = json.dumps(entry.changes, ensure_ascii=False, sort_keys=True)
        cells = [entry.actor_label, entry.address, entry.action, entry.target, changes]
        yield writer.writerow([entry.at.isoformat(), *map(inert, cells)])
