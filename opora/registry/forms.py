from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from opora.registry.models import Municipality, School
from opora.registry.selectors import SchoolFilters


class SearchForm(forms.Form):
    """A free-text search; Django's CharField rejects what a database cannot store (NUL bytes)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)

    def search(self) -> str:
        return self.cleaned_data["q"] if self.is_valid() else ""


class SchoolFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.none(),
        required=False,
        empty_label=_("All municipalities"),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    location = forms.ChoiceField(label=_("Location"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, municipalities: QuerySet[Municipality] | None = None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if municipalities is None:
            del self.fields["municipality"]
        else:
            self.fields["municipality"].queryset = municipalities  # type: ignore[attr-defined]
        any_choice = [("", _("Any"))]
        self.fields["kind"].choices = any_choice + list(School.Kind.choices)  # type: ignore[attr-defined]
        self.fields["location"].choices = any_choice + list(School.Location.choices)  # type: ignore[attr-defined]
        self.fields["status"].choices = any_choice + list(School.Status.choices)  # type: ignore[attr-defined]

    def to_filters(self) -> SchoolFilters:
        """Invalid input (a foreign municipality id, an unknown kind) filters nothing instead of failing."""
        data = self.cleaned_data if self.is_valid() else {}
        municipality = data.get("municipality")
        return SchoolFilters(
            search=data.get("q", ""),
            municipality_id=municipality.pk if municipality else None,
            kind=data.get("kind", ""),
            location=data.get("location", ""),
            status=data.get("status", ""),
        )
