"""The social passport of each school and year, generated from the school's latent SES."""

import math
from dataclasses import dataclass

from opora.demo.region.model import (
    DEMO_YEARS,
    DemoContext,
    DemoSchool,
    SchoolKind,
    clamp,
    stream,
)
from opora.demo.region.places import MunicipalitySpec


@dataclass(frozen=True)
class _ContextModel:
    """Log-odds of a share: intercept + slope × SES + the school's own lasting deviation + yearly noise."""

    intercept: float
    ses_slope: float
    school_sd: float
    per_family: bool  # a share of families rather than of pupils


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


_CONTEXT_MODELS = {
    "share_single_parent": _ContextModel(_logit(0.21), -0.3, 0.3, True),
    "share_parents_higher_education": _ContextModel(_logit(0.30), 1.0, 0.25, True),
    "share_unemployed_parents": _ContextModel(_logit(0.08), -0.9, 0.3, True),
    "share_low_income": _ContextModel(_logit(0.20), -1.0, 0.25, True),
    "share_on_register": _ContextModel(_logit(0.025), -0.6, 0.4, False),
    "share_disabilities": _ContextModel(_logit(0.05), -0.25, 0.4, False),
    "share_non_native_russian": _ContextModel(_logit(0.025), -0.2, 0.7, False),
}
# Log-odds offsets by kind of school, on top of what its SES gives.
_KIND_CONTEXT = {
    SchoolKind.SPECIAL: {"share_disabilities": 8.0, "share_on_register": 0.5},
    SchoolKind.EVENING: {
        "share_on_register": 1.3,
        "share_unemployed_parents": 0.5,
        "share_single_parent": 0.4,
    },
    SchoolKind.BOARDING: {"share_single_parent": 0.6, "share_low_income": 0.4, "share_on_register": 0.8},
}


def social_passports(seed: int, school: DemoSchool, spec: MunicipalitySpec) -> dict[int, DemoContext]:
    """Each year's passport: persistent per school, a little yearly noise, and the granularity of counts."""
    rng = stream(seed, "context", school.login)
    offsets = _KIND_CONTEXT.get(school.kind, {})
    base = {
        name: model.intercept
        + model.ses_slope * school.latent.ses
        + offsets.get(name, 0.0)
        + (spec.non_native if name == "share_non_native_russian" else 0.0)
        + rng.gauss(0, model.school_sd)
        for name, model in _CONTEXT_MODELS.items()
    }
    contexts = {}
    for year in DEMO_YEARS:
        values = {}
        for name, model in _CONTEXT_MODELS.items():
            p = 1 / (1 + math.exp(-(base[name] + rng.gauss(0, 0.1))))
            if not school.operates_in(year):
                continue
            pupils = school.enrolment[year]
            n = max(1, round(pupils * 0.8)) if model.per_family else pupils
            count = round(clamp(n * p + rng.gauss(0, 1) * math.sqrt(n * p * (1 - p)), 0, n))
            values[name] = round(100 * count / n, 2)
        if values:
            contexts[year] = DemoContext(**values)
    return contexts
