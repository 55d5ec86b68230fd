"""Writes a generated demo region into the database in one transaction, and removes it again.

`demo_build()` is the one call a test fixture needs: 300 schools with three years of enrolment and social
passports, aliases and one user per role, in well under a second on SQLite with the test settings. The demo
region is recognised by its code; the demo users by their e-mail domain.
"""

import dataclasses
import time
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils.translation import gettext as _

from opora.accounts.models import CuratorAssignment, Role, User
from opora.core.models import AuditEvent
from opora.core.services import audit_event_create
from opora.demo.diagnostics import demo_diagnostics_build, diagnostic_years
from opora.demo.region import (
    CONTEXT_FIELDS,
    DEMO_EMAIL_DOMAIN,
    DEMO_REGION_CODE,
    DEMO_USERNAMES,
    DemoRegion,
    DemoRole,
    demo_password,
    generate_region,
)
from opora.demo.results import RESULTS_YEARS
from opora.demo.results_build import DemoResultsError, demo_results_build, demo_results_delete
from opora.demo.support_build import demo_support_build, demo_support_delete
from opora.registry.identity import normalize_alias
from opora.registry.models import (
    AcademicYear,
    Municipality,
    Region,
    School,
    SchoolAlias,
    SchoolContext,
    SchoolEnrolment,
)

# The demo administrator manages users and reference data through the admin site, with these apps' model
# permissions and the right to read the audit log; not a superuser, who would also pass every future check
# on personal data.
ADMIN_APP_LABELS = ("accounts", "registry", "imports")
ADMIN_EXTRA_PERMISSIONS = (("core", "view_auditevent"),)
DEMO_PASSWORD_ITERATIONS = 10_000
ALIAS_SOURCE = "Демо-регион: другие написания и прежние наименования"
_BUILD_ACTION = "demo_region_create"
# The grades whose ВПР results `opora demo` imports by default (`--grades` chooses others). The import walks
# the real path (openpyxl writes and the importer reads every XLSX file): grades 4-5 are ~94 thousand pupil
# rows in ~3,000 files and keep `opora demo` near two minutes, and they give the grade 4 → 5 cohorts the
# sign «a cohort falling sharply» needs; all of 4-8 (~233 thousand rows, ~7,800 files) took 204 s of
# results on this project's 2-core machine (2026-11-23).
DEMO_RESULTS_GRADES = (4, 5)


class DemoError(Exception):
    """The demo region cannot be built as asked; the message says why, in words for the user."""


@dataclass(frozen=True)
class DemoLogin:
    user: User
    password: str  # the demo password as generated; empty when the seed it was built with is unknown


@dataclass(frozen=True)
class DemoBuild:
    region: Region
    focus: Municipality  # where the municipal demo users work
    logins: list[DemoLogin]
    seed: int | None
    municipalities: int
    schools: int
    seconds: float = 0.0
    result_files: int = 0  # ВПР files imported
    result_pupils: int = 0  # pupil rows in them
    results_seconds: float = 0.0
    results_years: tuple[int, ...] = ()
    exam_rows: int = 0  # ОГЭ/ЕГЭ results per school imported
    diagnostic_rows: int = 0  # pupil results of the regional diagnostic (КДР) imported
    runs: int = 0  # identification runs computed


def demo_region_exists(*, code: str = DEMO_REGION_CODE) -> bool:
    return Region.objects.filter(code=code).exists()


def demo_build(
    *,
    seed: int = 2026,
    schools: int = 300,
    reset: bool = False,
    results: bool = False,
    results_years: tuple[int, ...] = RESULTS_YEARS,
    results_grades: tuple[int, ...] = DEMO_RESULTS_GRADES,
) -> DemoBuild:
    """Generate the demo region and write it; with `reset`, delete the one already there first. With
    `results` (`opora demo` asks for them), the schools' ВПР results of these years and grades are
    imported through the importer."""
    started = time.perf_counter()
    demo = generate_region(seed=seed, schools=schools)
    with transaction.atomic():
        if reset:
            demo_region_delete(code=demo.code)
        build = demo_region_create(demo=demo)
        if results:
            importer = next(
                login.user for login in build.logins if login.user.role == Role.REGIONAL_COORDINATOR
            )
            try:
                built = demo_results_build(
                    demo=demo, user=importer, years=results_years, grades=results_grades
                )
                diagnostics = demo_diagnostics_build(
                    demo=demo, user=importer, years=diagnostic_years(tuple(results_years))
                )
                support = demo_support_build(
                    demo=demo, region=build.region, user=importer, years=tuple(results_years)
                )
            except DemoResultsError as error:
                raise DemoError(str(error)) from error
            build = dataclasses.replace(
                build,
                result_files=built.files,
                result_pupils=built.pupils,
                results_seconds=built.seconds,
                results_years=tuple(sorted(set(results_years))),
                exam_rows=support.exam_rows,
                diagnostic_rows=diagnostics.rows,
                runs=support.runs,
            )
    return dataclasses.replace(build, seconds=time.perf_counter() - started)


def demo_region_create(*, demo: DemoRegion) -> DemoBuild:
    """Write the region, its schools with their yearly data, its users and the curator's assignments."""
    hashes = [_demo_password_hash(u.password) for u in demo.users]
    with transaction.atomic():
        _check_free(demo)
        years = _academic_years(demo.years)
        region = Region.objects.create(code=demo.code, name=demo.name)
        municipalities = {
            m.code: m
            for m in Municipality.objects.bulk_create(
                Municipality(region=region, code=m.code, name=m.name, kind=m.kind)
                for m in demo.municipalities
            )
        }
        schools = _create_schools(demo, municipalities)
        SchoolEnrolment.objects.bulk_create(
            SchoolEnrolment(school=schools[s.login], academic_year=years[year], pupils=pupils)
            for s in demo.schools
            for year, pupils in s.enrolment.items()
        )
        SchoolContext.objects.bulk_create(
            SchoolContext(
                school=schools[s.login],
                academic_year=years[year],
                **{name: Decimal(f"{getattr(context, name):.2f}") for name in CONTEXT_FIELDS},
            )
            for s in demo.schools
            for year, context in s.contexts.items()
        )
        SchoolAlias.objects.bulk_create(_aliases(demo, schools))
        users = _create_users(demo, hashes, region, municipalities, schools)
        audit_event_create(
            actor=None,
            action=_BUILD_ACTION,
            object_type="region",
            object_id=region.pk,
            summary=f"Создан демо-регион «{region.name}» (школ: {len(demo.schools)}, зерно: {demo.seed})",
            details={"seed": demo.seed, "schools": len(demo.schools)},
        )
    logins = [DemoLogin(user, u.password) for user, u in zip(users, demo.users, strict=True)]
    return DemoBuild(
        region=region,
        focus=municipalities[demo.focus_municipality_code],
        logins=logins,
        seed=demo.seed,
        municipalities=len(municipalities),
        schools=len(schools),
    )


@transaction.atomic
def demo_region_delete(*, code: str = DEMO_REGION_CODE) -> bool:
    """Delete the demo region, everything in it and every user who works in it; False if there was none."""
    region = Region.objects.filter(code=code).first()
    demo_users = Q(email__iendswith=f"@{DEMO_EMAIL_DOMAIN}", username__in=DEMO_USERNAMES)
    if region is None:
        User.objects.filter(demo_users).delete()
        return False
    in_region = (
        Q(region=region)
        | Q(municipality__region=region)
        | Q(school__municipality__region=region)
        | demo_users
    )
    demo_support_delete(region=region)
    demo_results_delete(region=region)
    User.objects.filter(in_region).delete()
    schools = School.objects.filter(municipality__region=region)
    # Successors are protected: release them before the schools go.
    schools.filter(successor__isnull=False).update(successor=None, status=School.Status.CLOSED)
    try:
        schools.delete()
    except ProtectedError as error:
        kinds = sorted({str(type(obj)._meta.verbose_name) for obj in error.protected_objects})
        raise DemoError(
            _("The demo region cannot be deleted: other data refers to its schools (%(kinds)s).")
            % {"kinds": ", ".join(kinds)}
        ) from error
    Municipality.objects.filter(region=region).delete()
    name, pk = region.name, region.pk
    region.delete()
    audit_event_create(
        actor=None,
        action="demo_region_delete",
        object_type="region",
        object_id=pk,
        summary=f"Удалён демо-регион «{name}»",
    )
    return True


def demo_logins(*, code: str = DEMO_REGION_CODE) -> DemoBuild:
    """The existing demo region and its users, with the passwords of the seed it was built with."""
    region = Region.objects.get(code=code)
    event = AuditEvent.objects.filter(action=_BUILD_ACTION, object_type="region", object_id=str(region.pk))
    details = event.values_list("details", flat=True).first() or {}
    seed = details.get("seed")
    order = {username: i for i, username in enumerate(DEMO_USERNAMES)}
    users = sorted(
        User.objects.filter(email__iendswith=f"@{DEMO_EMAIL_DOMAIN}", username__in=order).select_related(
            "region", "municipality", "school"
        ),
        key=lambda u: order[u.username],
    )
    municipal = next((u.municipality for u in users if u.municipality is not None), None)
    focus = municipal or Municipality.objects.filter(region=region).first()
    if focus is None:
        raise DemoError(_("The demo region «%(name)s» has no municipalities.") % {"name": region.name})
    logins = [DemoLogin(u, demo_password(seed, u.username) if seed is not None else "") for u in users]
    return DemoBuild(
        region=region,
        focus=focus,
        logins=logins,
        seed=seed,
        municipalities=Municipality.objects.filter(region=region).count(),
        schools=School.objects.filter(municipality__region=region).count(),
    )


def _check_free(demo: DemoRegion) -> None:
    if Region.objects.filter(Q(code=demo.code) | Q(name=demo.name)).exists():
        raise DemoError(
            _("A region with the code %(code)s or the name «%(name)s» already exists.")
            % {"code": demo.code, "name": demo.name}
        )
    taken = User.objects.filter(username__in=[u.username for u in demo.users]).order_by("username")
    others = [user.username for user in taken if not _is_demo_user(user)]
    if others:
        raise DemoError(
            _("These user names are taken by users outside the demo: %(names)s.")
            % {"names": ", ".join(others)}
        )
    if taken:
        raise DemoError(_("Users of an earlier demo are left in the database: run with --reset."))


def _is_demo_user(user: User) -> bool:
    return user.username in DEMO_USERNAMES and user.email.lower().endswith(f"@{DEMO_EMAIL_DOMAIN}")


def _demo_password_hash(password: str) -> str:
    """The hash of a demo password, with few PBKDF2 iterations: a full hash costs ~0.5 s, eight of them
    would be most of the build. The passwords are printed for everyone anyway, and Django re-hashes a
    password with the full iteration count at the user's first login."""
    hasher = get_hasher()
    if isinstance(hasher, PBKDF2PasswordHasher):
        return hasher.encode(password, hasher.salt(), iterations=DEMO_PASSWORD_ITERATIONS)
    return make_password(password)


def _academic_years(start_years: tuple[int, ...]) -> dict[int, AcademicYear]:
    existing = {y.start_year: y for y in AcademicYear.objects.filter(start_year__in=start_years)}
    missing = [AcademicYear(start_year=y) for y in start_years if y not in existing]
    existing.update({y.start_year: y for y in AcademicYear.objects.bulk_create(missing)})
    return existing


def _create_schools(demo: DemoRegion, municipalities: dict[str, Municipality]) -> dict[str, School]:
    created: dict[str, School] = {}
    # Successors first: a merged school must name its successor when it is written.
    for phase in (False, True):
        batch = [
            School(
                municipality=municipalities[s.municipality_code],
                fis_oko_login=s.login,
                inn=s.inn,
                ogrn=s.ogrn,
                full_name=s.full_name,
                short_name=s.short_name,
                kind=s.kind.value,
                location=s.location.value,
                settlement=s.settlement,
                settlement_population=s.settlement_population,
                address=s.address,
                latitude=Decimal(f"{s.latitude:.6f}"),
                longitude=Decimal(f"{s.longitude:.6f}"),
                status=s.status.value,
                successor=created[s.successor_login] if s.successor_login else None,
            )
            for s in demo.schools
            if (s.successor_login is not None) == phase
        ]
        created.update({school.fis_oko_login or "": school for school in School.objects.bulk_create(batch)})
    return created


def _aliases(demo: DemoRegion, schools: dict[str, School]) -> list[SchoolAlias]:
    aliases, seen = [], set()
    for s in demo.schools:
        for value in s.aliases:
            normalized = normalize_alias(SchoolAlias.Kind.NAME, value)
            if (s.login, normalized) in seen:
                continue
            seen.add((s.login, normalized))
            aliases.append(
                SchoolAlias(
                    school=schools[s.login],
                    kind=SchoolAlias.Kind.NAME,
                    value=value,
                    normalized=normalized,
                    source=ALIAS_SOURCE,
                )
            )
    return aliases


def _create_users(
    demo: DemoRegion,
    hashes: list[str],
    region: Region,
    municipalities: dict[str, Municipality],
    schools: dict[str, School],
) -> list[User]:
    users = User.objects.bulk_create(
        User(
            username=u.username,
            password=hashed,
            email=u.email,
            last_name=u.last_name,
            first_name=u.first_name,
            patronymic=u.patronymic,
            position=u.position,
            role=Role(u.role.value),
            is_staff=u.is_staff,
            region=region if u.region_code else None,
            municipality=municipalities[u.municipality_code] if u.municipality_code else None,
            school=schools[u.school_login] if u.school_login else None,
        )
        for u, hashed in zip(demo.users, hashes, strict=True)
    )
    by_name = {user.username: user for user in users}
    CuratorAssignment.objects.bulk_create(
        CuratorAssignment(
            curator=by_name[u.username], school=schools[login], starts_on=demo.curator_starts_on
        )
        for u in demo.users
        for login in u.curated_logins
    )
    _grant_admin_permissions([by_name[u.username] for u in demo.users if u.role == DemoRole.ADMINISTRATOR])
    return users


def _grant_admin_permissions(admins: list[User]) -> None:
    extra = Q()
    for app_label, codename in ADMIN_EXTRA_PERMISSIONS:
        extra |= Q(content_type__app_label=app_label, codename=codename)
    permissions = Permission.objects.filter(Q(content_type__app_label__in=ADMIN_APP_LABELS) | extra)
    permission_ids = list(permissions.values_list("pk", flat=True))
    through = User.user_permissions.through
    through.objects.bulk_create(
        through(user_id=admin.pk, permission_id=pk) for admin in admins for pk in permission_ids
    )


__all__ = [
    "DemoBuild",
    "DemoError",
    "DemoLogin",
    "demo_build",
    "demo_logins",
    "demo_region_create",
    "demo_region_delete",
    "demo_region_exists",
]
