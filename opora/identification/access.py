"""Who may see and do what in identification: runs and lists by region or municipality, findings by school.

Runs and lists belong to a region (or one municipality of it). Regional staff see their region's; municipal
staff see their region's regional runs and lists and their own municipality's, but only the findings and
memberships of the schools they may see (`schools_visible_to`). Everyone else sees none of them here; a
school's own findings are shown on its card to whoever may see the school.
"""

from django.db.models import Q, QuerySet

from opora.accounts.models import MUNICIPAL_ROLES, REGIONAL_ROLES, Role, User
from opora.identification.models import IdentificationRun, MethodologyVersion, SchoolList
from opora.registry.models import Municipality, Region


def _is_admin(user: User) -> bool:
    return user.is_superuser or user.role == Role.ADMINISTRATOR


def can_view_identification(user: User) -> bool:
    """Runs, lists and the methodology page (menus ask this, without a query)."""
    return (
        user.is_authenticated
        and user.is_active
        and (_is_admin(user) or user.role in REGIONAL_ROLES | MUNICIPAL_ROLES)
    )


def user_region_id(user: User) -> int | None:
    if user.role in REGIONAL_ROLES:
        return user.region_id
    if user.role in MUNICIPAL_ROLES and user.municipality_id is not None:
        return (
            Municipality.objects.filter(pk=user.municipality_id).values_list("region_id", flat=True).first()
        )
    return None


def _scoped(queryset: QuerySet, user: User) -> QuerySet:
    if not can_view_identification(user):
        return queryset.none()
    if _is_admin(user):
        return queryset
    if user.role in REGIONAL_ROLES and user.region_id is not None:
        return queryset.filter(region_id=user.region_id)
    if user.role in MUNICIPAL_ROLES and user.municipality_id is not None:
        return queryset.filter(
            Q(municipality_id=user.municipality_id)
            | Q(municipality__isnull=True, region_id=user_region_id(user))
        )
    return queryset.none()


def runs_visible_to(user: User) -> QuerySet[IdentificationRun]:
    return _scoped(IdentificationRun.objects.all(), user)


def lists_visible_to(user: User) -> QuerySet[SchoolList]:
    return _scoped(SchoolList.objects.all(), user)


def methodologies_visible_to(user: User) -> QuerySet[MethodologyVersion]:
    return _scoped(MethodologyVersion.objects.all(), user)


def run_scope_for(user: User) -> tuple[Region, Municipality | None] | None:
    """The scope this user computes and edits in: a regional coordinator or analyst their region, a
    municipal coordinator their municipality; None for everyone else (administrators included: they
    administer, they do not run a region's identification)."""
    if user.role in REGIONAL_ROLES and user.region_id is not None:
        region = Region.objects.filter(pk=user.region_id).first()
        return (region, None) if region else None
    if user.role == Role.MUNICIPAL_COORDINATOR and user.municipality_id is not None:
        municipality = Municipality.objects.select_related("region").filter(pk=user.municipality_id).first()
        return (municipality.region, municipality) if municipality else None
    return None


def can_run(user: User) -> bool:
    """Start runs and import official lists: coordinators and the regional analyst."""
    return user.is_authenticated and user.role in {
        Role.REGIONAL_COORDINATOR,
        Role.REGIONAL_ANALYST,
        Role.MUNICIPAL_COORDINATOR,
    }


def can_edit_methodology(user: User) -> bool:
    """The issue: «edited in the UI by the regional or municipal coordinator»."""
    return user.is_authenticated and user.role in {Role.REGIONAL_COORDINATOR, Role.MUNICIPAL_COORDINATOR}
