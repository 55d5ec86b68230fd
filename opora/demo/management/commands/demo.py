"""`opora demo`: migrate, build the demo region (or find it built) and print its logins."""

from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opora.accounts.models import MUNICIPAL_ROLES, REGIONAL_ROLES, SCHOOL_ROLES, Role
from opora.demo.build import (
    DEMO_RESULTS_GRADES,
    DemoBuild,
    DemoError,
    DemoLogin,
    demo_build,
    demo_logins,
    demo_region_exists,
)
from opora.demo.diagnostics import DIAGNOSTIC_PROCEDURE, diagnostic_years
from opora.demo.region import MAX_SCHOOLS, MIN_SCHOOLS
from opora.demo.results import VPR_GRADES

URL = "http://127.0.0.1:8000/"


def _grades(value: str) -> tuple[int, ...]:
    """«4-8» or «4,5» → the ВПР grades of the demo (4 to 8)."""
    grades: set[int] = set()
    try:
        for part in value.split(","):
            low, dash, high = part.strip().partition("-")
            grades.update(range(int(low), int(high if dash else low) + 1))
    except ValueError:
        raise ArgumentTypeError(_("expected grades such as 4-8 or 4,5")) from None
    if not grades or not grades <= set(VPR_GRADES):
        raise ArgumentTypeError(_("the ВПР grades of the demo are 4 to 8"))
    return tuple(sorted(grades))


class Command(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        self.help = _(
            "Build the demo region, a generated Russian region with schools and users, and print its logins."
        )
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=2026, help=_("Random seed of the region (default 2026).")
        )
        parser.add_argument(
            "--schools",
            type=int,
            default=300,
            help=_("Number of schools, %(low)d to %(high)d (default 300).")
            % {"low": MIN_SCHOOLS, "high": MAX_SCHOOLS},
        )
        parser.add_argument(
            "--reset", action="store_true", help=_("Delete the existing demo region and build it anew.")
        )
        parser.add_argument(
            "--without-results",
            action="store_true",
            help=_("Build the region without the ВПР results of its schools (faster)."),
        )
        parser.add_argument(
            "--grades",
            type=_grades,
            default=DEMO_RESULTS_GRADES,
            help=_(
                "ВПР grades to import, e.g. 4-8 or 4,5 (default 4-5: the grade 4 → 5 cohorts; all of 4-8 "
                "takes about three times as long)."
            ),
        )

    def handle(
        self,
        *args: Any,
        seed: int,
        schools: int,
        reset: bool,
        without_results: bool,
        grades: tuple[int, ...],
        **options: Any,
    ) -> None:
        if not MIN_SCHOOLS <= schools <= MAX_SCHOOLS:
            raise CommandError(
                _("The number of schools must be from %(low)d to %(high)d.")
                % {"low": MIN_SCHOOLS, "high": MAX_SCHOOLS}
            )
        call_command(
            "migrate", interactive=False, verbosity=max(0, options["verbosity"] - 1), stdout=self.stdout
        )
        exists = demo_region_exists()
        if exists and not reset:
            build = demo_logins()
            self.stdout.write(
                _("The demo region «%(region)s» is already built; run with --reset to build it anew.")
                % {"region": build.region.name}
            )
            self._print_logins(build)
            return
        try:
            build = demo_build(
                seed=seed, schools=schools, reset=reset, results=not without_results, results_grades=grades
            )
        except DemoError as error:
            raise CommandError(str(error)) from error
        if exists:
            self.stdout.write(_("The old demo region has been deleted."))
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Built the demo region «%(region)s» in %(seconds)s s: %(municipalities)s, %(schools)s, "
                    "seed %(seed)d."
                )
                % {
                    "region": build.region.name,
                    "seconds": number_format(build.seconds, 1),
                    "municipalities": ngettext(
                        "%(count)d municipality", "%(count)d municipalities", build.municipalities
                    )
                    % {"count": build.municipalities},
                    "schools": ngettext("%(count)d school", "%(count)d schools", build.schools)
                    % {"count": build.schools},
                    "seed": seed,
                }
            )
        )
        if build.result_files:
            self.stdout.write(
                _("Imported the ВПР results of %(years)s in %(seconds)s s: %(files)s, %(pupils)s.")
                % {
                    "years": ", ".join(str(year) for year in build.results_years),
                    "seconds": number_format(build.results_seconds, 1),
                    "files": ngettext("%(count)d file", "%(count)d files", build.result_files)
                    % {"count": build.result_files},
                    "pupils": ngettext(
                        "%(count)d pupil result", "%(count)d pupil results", build.result_pupils
                    )
                    % {"count": build.result_pupils},
                }
            )
        if build.runs:
            self.stdout.write(
                _(
                    "Imported %(exams)s ОГЭ and ЕГЭ results per school and %(diagnostics)s pupil results of "
                    "the regional diagnostic %(procedure)s (%(years)s); computed the identification of every "
                    "year (%(runs)s runs) and imported an official list to compare with."
                )
                % {
                    "exams": build.exam_rows,
                    "diagnostics": build.diagnostic_rows,
                    "procedure": DIAGNOSTIC_PROCEDURE,
                    "years": ", ".join(str(year) for year in diagnostic_years(build.results_years)),
                    "runs": build.runs,
                }
            )
        self._print_logins(build)

    def _print_logins(self, build: DemoBuild) -> None:
        self.stdout.write(
            _("Municipal users work in: %(municipality)s.") % {"municipality": build.focus.name}
        )
        header = [_("Login"), _("Password"), _("Role"), _("Full name"), _("Sees")]
        rows = [header] + [
            [
                login.user.username,
                login.password or "—",
                str(Role(login.user.role).label),
                login.user.display_name,
                _scope(login),
            ]
            for login in build.logins
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
        self.stdout.write("")
        for number, row in enumerate(rows):
            line = (
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
                + "  "
                + row[-1]
            )
            self.stdout.write(self.style.MIGRATE_HEADING(line) if number == 0 else line)
        self.stdout.write("")
        self.stdout.write(_("Open %(url)s and log in as any of them.") % {"url": URL})
        self.stdout.write(_("The passwords are for the demo only: never serve the demo on a public network."))


def _scope(login: DemoLogin) -> str:
    user = login.user
    if user.role in REGIONAL_ROLES and user.region is not None:
        return user.region.name
    if user.role in MUNICIPAL_ROLES and user.municipality is not None:
        return user.municipality.name
    if user.role in SCHOOL_ROLES and user.school is not None:
        return user.school.short_name
    if user.role == Role.CURATOR:
        count = user.curator_assignments.count()
        return ngettext("%(count)d assigned school", "%(count)d assigned schools", count) % {"count": count}
    return _("all schools, users and reference data")
