import dataclasses

from django import forms
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from opora.assessments.exports import municipality_results_xlsx
from opora.assessments.models import Procedure, Subject
from opora.assessments.selectors import (
    DEFAULT_RESULT_SORT,
    RESULT_SORTS,
    ResultFilters,
    municipality_results_for_user,
)
from opora.core.http import AuthenticatedHttpRequest
from opora.core.services import audit_event_create


class ResultFilterForm(forms.Form):
    """Which assessment to show; every field may stay empty (the latest assessment with data is shown).

    Invalid input (text for a year, a NUL byte, an unknown sort) filters nothing instead of failing.
    """

    procedure = forms.ModelChoiceField(
        label=_("Procedure"),
        queryset=Procedure.objects.all(),
        required=False,
        # «Процедура» is feminine in Russian: «Любая», while subject and grade take «Любой».
        empty_label=pgettext_lazy("procedure", "Any"),
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    subject = forms.ModelChoiceField(
        label=_("Subject"), queryset=Subject.objects.all(), required=False, empty_label=_("Any")
    )
    grade = forms.TypedChoiceField(
        label=_("Grade"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any")), *((g, str(g)) for g in range(1, 12))],
    )
    sort = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[(key, key) for name in RESULT_SORTS for key in (name, f"-{name}")],
    )

    def to_filters(self) -> ResultFilters:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        procedure, subject = data.get("procedure"), data.get("subject")
        return ResultFilters(
            procedure_id=procedure.pk if procedure else None,
            year=data.get("year"),
            subject_id=subject.pk if subject else None,
            grade=data.get("grade"),
            sort=data.get("sort") or DEFAULT_RESULT_SORT,
        )


@require_GET
def municipality_results(request: AuthenticatedHttpRequest, municipality_pk: int) -> HttpResponse:
    form = ResultFilterForm(request.GET)
    results = municipality_results_for_user(
        user=request.user, municipality_pk=municipality_pk, filters=form.to_filters()
    )
    return render(request, "assessments/municipality_results.html", {"form": form, "results": results})


@require_GET
def municipality_results_export(request: AuthenticatedHttpRequest, municipality_pk: int) -> FileResponse:
    filters = ResultFilterForm(request.GET).to_filters()
    results = municipality_results_for_user(
        user=request.user, municipality_pk=municipality_pk, filters=filters
    )
    export = municipality_results_xlsx(results=results)
    audit_event_create(
        actor=request.user,
        action="results_export",
        object_type="registry.municipality",
        object_id=results.municipality.pk,
        summary=export.filename,
        details={
            "assessment_id": results.assessment.pk if results.assessment else None,
            # The validated filters, not the raw query: it may hold anything, NUL bytes included.
            "filters": dataclasses.asdict(filters),
            "rows": len(results.rows),
        },
    )
    return FileResponse(export.content, as_attachment=True, filename=export.filename)
