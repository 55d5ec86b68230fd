"""Formatting of results: one-decimal percentages with a decimal comma, intervals, changes, tier tags."""

from typing import TYPE_CHECKING

from django import template
from django.http import QueryDict
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from opora.assessments.models import Assessment, SchoolIndicator

if TYPE_CHECKING:
    from opora.assessments.selectors import LevelShare

register = template.Library()

MISSING = "—"
MINUS = "\u2212"


@register.filter
def pct(value: float | None) -> str:
    """12.345 → «12,3» in the active locale; None → «—»."""
    return MISSING if value is None else str(floatformat(value, 1))


@register.filter
def pct_ci(indicator: SchoolIndicator) -> str:
    """The «2» share with its 95 % interval: «12,3 (6,1–22,0)»."""
    if indicator.mark_2_pct is None:
        return MISSING
    if indicator.mark_2_ci_low is None or indicator.mark_2_ci_high is None:
        return pct(indicator.mark_2_pct)
    return f"{pct(indicator.mark_2_pct)} ({ci(indicator)})"


@register.filter
def ci(indicator: SchoolIndicator) -> str:
    """The 95 % interval of the «2» share alone: «6,1–22,0»."""
    if indicator.mark_2_ci_low is None or indicator.mark_2_ci_high is None:
        return MISSING
    return f"{pct(indicator.mark_2_ci_low)}–{pct(indicator.mark_2_ci_high)}"


@register.filter
def level_share(share: "LevelShare | None") -> str:
    """An achievement level's share with its 95 % interval where known: «33,3 (6,1–79,2)», «41,5», «—»."""
    if share is None:
        return MISSING
    if share.ci_low is None or share.ci_high is None:
        return pct(share.pct)
    return f"{pct(share.pct)} ({pct(share.ci_low)}–{pct(share.ci_high)})"


@register.filter
def pp(value: float | None) -> str:
    """A change in percentage points with its sign: «+3,2», «−5,0», «0,0»."""
    if value is None:
        return MISSING
    shown = str(floatformat(abs(value), 1))
    if shown == str(floatformat(0, 1)):
        return shown
    return f"+{shown}" if value > 0 else f"{MINUS}{shown}"


_TIER_CLASSES: dict[str, str] = {
    SchoolIndicator.Tier.INFORMATIVE: "ok",
    SchoolIndicator.Tier.APPROXIMATE: "",
    SchoolIndicator.Tier.LIMITED: "warn",
}


@register.filter
def tier_tag(indicator: SchoolIndicator) -> SafeString:
    """The sample-size tier as a tag; a limited sample is marked in the warning colour with a tooltip."""
    tier = indicator.sample_tier
    tooltip = _("few participants: the share is unstable") if tier == SchoolIndicator.Tier.LIMITED else ""
    return format_html(
        '<span class="tag {}" title="{}">{}</span>',
        _TIER_CLASSES.get(tier, ""),
        tooltip,
        indicator.get_sample_tier_display(),
    )


@register.simple_tag(takes_context=True)
def sort_link(context: template.Context, key: str, label: str, current: str) -> SafeString:
    """A column header that sorts by `key`: ascending first, descending on the second click."""
    query: QueryDict = context["request"].GET.copy()
    query["sort"] = f"-{key}" if current == key else key
    arrow = {key: " ▲", f"-{key}": " ▼"}.get(current, "")
    return format_html('<a href="?{}">{}</a>{}', query.urlencode(), label, arrow)


@register.filter
def assessment_title(assessment: Assessment | None) -> str:
    """«ВПР 2025, Математика, 5 класс» (the year without a thousands separator)."""
    if assessment is None:
        return _("no results")
    return _("%(procedure)s %(year)s, %(subject)s, grade %(grade)s") % {
        "procedure": assessment.procedure.code,
        "year": assessment.year,
        "subject": assessment.subject.name,
        "grade": assessment.grade,
    }
