"""The fixed cast every access test uses: two regions, three municipalities, one user per role.

Region A: municipalities «own» (M1) and «neighbour» (M2). Region B: «far» (M3). Each municipality has
schools; the curator is assigned to one school of M1; the school user works at that same school.
"""

import datetime
from dataclasses import dataclass

import pytest

from opora.accounts.models import CuratorAssignment, Role, User
from opora.registry.models import Municipality, Region, School
from tests.factories import MunicipalityFactory, RegionFactory, SchoolFactory, UserFactory

PASSWORD = "correct-horse-battery"


@dataclass
class Cast:
    region: Region
    other_region: Region
    municipality: Municipality
    neighbour: Municipality
    far: Municipality
    school: School  # in M1, curated, the school user's own
    sibling: School  # in M1, not curated
    neighbour_school: School  # in M2
    far_school: School  # in M3
    users: dict[str, User]


@pytest.fixture
def cast(db: None) -> Cast:
    return make_cast()


def make_cast() -> Cast:
    region = RegionFactory.create(name="Приморская область", code="25")
    other_region = RegionFactory.create(name="Заозёрный край", code="99")
    municipality = MunicipalityFactory.create(region=region, name="Лесогорский муниципальный район")
    neighbour = MunicipalityFactory.create(region=region, name="Городской округ Светлогорск")
    far = MunicipalityFactory.create(region=other_region, name="Дальний район")
    school = SchoolFactory.create(municipality=municipality, short_name="МБОУ «СОШ № 1 с. Ивановка»")
    sibling = SchoolFactory.create(municipality=municipality, short_name="МКОУ «ООШ д. Берёзовка»")
    neighbour_school = SchoolFactory.create(municipality=neighbour, short_name="МБОУ «Гимназия № 2»")
    far_school = SchoolFactory.create(municipality=far, short_name="МБОУ «СОШ № 7»")
    users = {
        "regional": UserFactory.create(username="regional", role=Role.REGIONAL_COORDINATOR, region=region),
        "analyst": UserFactory.create(username="analyst", role=Role.REGIONAL_ANALYST, region=region),
        "municipal": UserFactory.create(
            username="municipal", role=Role.MUNICIPAL_COORDINATOR, municipality=municipality
        ),
        "methodist": UserFactory.create(username="methodist", role=Role.METHODIST, municipality=municipality),
        "curator": UserFactory.create(username="curator", role=Role.CURATOR),
        "school": UserFactory.create(username="school", role=Role.SCHOOL_COORDINATOR, school=school),
        "director": UserFactory.create(username="director", role=Role.DIRECTOR, school=school),
        "admin": UserFactory.create(username="admin", role=Role.ADMINISTRATOR, is_staff=True),
        "outsider": UserFactory.create(
            username="outsider", role=Role.MUNICIPAL_COORDINATOR, municipality=far
        ),
    }
    CuratorAssignment.objects.create(
        curator=users["curator"], school=school, starts_on=datetime.date(2024, 9, 1)
    )
    return Cast(
        region,
        other_region,
        municipality,
        neighbour,
        far,
        school,
        sibling,
        neighbour_school,
        far_school,
        users,
    )
