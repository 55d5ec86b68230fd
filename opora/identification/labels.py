"""The Russian names of the methods whose findings the pages show (method codes come from `analytics`)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

METHOD_LABELS: dict[str, str | Promise] = {
    "low_results": _("low results (ШНОР rule)"),
    "dynamics": _("dynamics of the share below the minimum"),
    "shnsu": _("unfavourable social context (ШНСУ)"),
    "resilient": _("resilient school"),
    "low_in_good_context": _("low results in a favourable context"),
    "objectivity_journal_mismatch": _("sign: VPR marks against journal marks"),
    "objectivity_boundary_heaping": _("sign: scores heaped just above mark boundaries"),
    "objectivity_basic_vs_advanced": _("sign: basic tasks below the region, advanced above"),
    "objectivity_vpr_vs_exams": _("sign: VPR far above the region, OGE/EGE low"),
    "objectivity_cohort_drop": _("sign: a cohort falling sharply from grade 4 to grade 5"),
}

STATUS_CLASSES = {"flagged": "bad", "cleared": "ok", "insufficient_data": "warn"}


def method_label(method: str) -> str:
    return str(METHOD_LABELS.get(method, method))
