"""Who may see which school and municipality: the one place the question is answered.

Every view, export, report and command asks through these functions (or the registry selectors built on
them). An object outside the user's scope is treated as if it did not exist: callers answer 404.
"""

from django.db.models import Q, QuerySet
from django.utils import timezone

from opora.accounts.models import MUNICIPAL_ROLES, REGIONAL_ROLES, SCHOOL_ROLES, Role, User
from opora.registry.models import Municipality, School


def _active_curated_school_ids(user: User) -> QuerySet[School]:
    today = timezone.localdate()
    return School.objects.filter(
        curator_assignments__curator=user,
        curator_assignments__starts_on__lte=today,
    ).filter(Q(curator_assignments__ends_on__isnull=True) | Q(curator_assignments__ends_on__gte=today))


def schools_visible_to(user: User) -> QuerySet[School]:
    """The schools this user may see, as an unevaluated queryset to filter further."""
    schools = School.objects.all()
    if not user.is_authenticated or not user.is_active:
        return schools.none()
    role = user.role
    if user.is_superuser or role == Role.ADMINISTRATOR:
        return schools
    # A user whose scope is not set sees nothing, whatever the database constraints let through.
    if role in REGIONAL_ROLES and user.region_id is not None:
        return schools.filter(municipality__region_id=user.region_id)
    if role in MUNICIPAL_ROLES and user.municipality_id is not None:
        return schools.filter(municipality_id=user.municipality_id)
    if role in SCHOOL_ROLES and user.school_id is not None:
        return schools.filter(pk=user.school_id)
    if role == Role.CURATOR:
        return schools.filter(pk__in=_active_curated_school_ids(user).values("pk"))
    return schools.none()


def municipalities_visible_to(user: User) -> QuerySet[Municipality]:
    """Municipal pages list every school of a municipality: only regional and municipal staff see them."""
    municipalities = Municipality.objects.all()
    if not user.is_authenticated or not user.is_active:
        return municipalities.none()
    role = user.role
    if user.is_superuser or role == Role.ADMINISTRATOR:
        return municipalities
    if role in REGIONAL_ROLES and user.region_id is not None:
        return municipalities.filter(region_id=user.region_id)
    if role in MUNICIPAL_ROLES and user.municipality_id is not None:
        return municipalities.filter(pk=user.municipality_id)
    return municipalities.none()


def can_import_register(user: User) -> bool:
    return user.is_authenticated and (
        user.is_superuser
        or user.role in {Role.ADMINISTRATOR, Role.REGIONAL_COORDINATOR, Role.MUNICIPAL_COORDINATOR}
    )


def can_view_municipalities(user: User) -> bool:
    """Same rule as municipalities_visible_to, answered without a query (for menus)."""
    return user.is_authenticated and (
        user.is_superuser or user.role in {Role.ADMINISTRATOR, *REGIONAL_ROLES, *MUNICIPAL_ROLES}
    )
