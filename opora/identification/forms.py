"""Forms of the identification pages: a run, an official list, and the methodology's parameters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.methodology import Methodology
from analytics.settings_io import Parameter, flat_values
from opora.identification.models import SchoolList


def _years() -> list[tuple[int, str]]:
    this = timezone.localdate().year
    return [(year, str(year)) for year in range(this, this - 8, -1)]  # a year, not «2 026»


class RunForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year of identification"), coerce=int, choices=_years)


class OfficialListForm(forms.Form):
    kind = forms.ChoiceField(label=_("List"), choices=SchoolList.Kind.choices)
    level = forms.ChoiceField(label=_("Level"), choices=SchoolList.Level.choices)
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=_years)
    document = forms.CharField(
        label=_("Source document"), max_length=500, help_text=_("For example: order No. 123 of 01.09.2025")
    )
    document_date = forms.DateField(
        label=_("Document date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    file = forms.FileField(label=_("File (CSV or Excel)"), allow_empty_file=True, max_length=255)


def _text(value: Any) -> str:
    """A parameter's value as the form shows it: lists comma-separated, pairs one per line."""
    if isinstance(value, list) and value and all(isinstance(item, list) for item in value):
        return "\n".join("; ".join(_scalar(part) for part in item) for item in value)
    if isinstance(value, list):
        return ", ".join(_scalar(item) for item in value)
    if isinstance(value, dict):
        return "\n".join(f"{key}; {_scalar(item)}" for key, item in value.items())
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


def _parse_scalar(text: str) -> Any:
    text = text.strip()
    try:
        number = float(text.replace(",", ".").replace("\u2212", "-"))
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text and "," not in text else number


class MethodologyForm(forms.Form):
    """One field per parameter of the methodology, with its Russian label and the source of its default."""

    comment = forms.CharField(
        label=_("What changed and why"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def __init__(self, *args: Any, parameters: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parameter_list: list[Parameter] = Methodology.parameters()
        values = flat_values(Methodology.from_dict(parameters))
        for parameter in self.parameter_list:
            self.fields[parameter.name] = self._field(parameter, values.get(parameter.name))
        self.order_fields([p.name for p in self.parameter_list] + ["comment"])

    @staticmethod
    def _field(parameter: Parameter, value: Any) -> forms.Field:
        common: dict[str, Any] = {"label": parameter.label, "help_text": parameter.source, "initial": value}
        if parameter.kind == "bool":
            return forms.BooleanField(required=False, **common)
        if parameter.kind == "choice":
            labels = parameter.choice_labels or tuple(str(c) for c in parameter.choices)
            return forms.ChoiceField(choices=list(zip(parameter.choices, labels, strict=True)), **common)
        if parameter.kind == "int":
            return forms.IntegerField(**common)
        if parameter.kind == "float":
            return forms.FloatField(localize=True, **common)
        common["initial"] = _text(value)
        widget = forms.Textarea(attrs={"rows": 3}) if parameter.kind == "pairs" else forms.TextInput()
        return forms.CharField(required=False, widget=widget, **common)

    def parameters(self) -> dict[str, Any]:
        """The cleaned values as a nested methodology dict (checked by Methodology.from_dict later)."""
        nested: dict[str, Any] = {}
        for parameter in self.parameter_list:
            value = self.cleaned_data.get(parameter.name)
            if parameter.kind == "list":
                value = [_parse_scalar(part) for part in str(value or "").split(",") if part.strip()]
            elif parameter.kind == "pairs":
                rows = [line for line in str(value or "").splitlines() if line.strip()]
                items = [[_parse_scalar(part) for part in line.split(";")] for line in rows]
                value = {str(k): v for k, v in items} if isinstance(parameter.default, dict) else items
            target = nested
            *sections, leaf = parameter.name.split(".")
            for section in sections:
                target = target.setdefault(section, {})
            target[leaf] = value
        return nested
