"""factory_boy factories for the register and users; the fixed cast of users lives in conftest.py."""

import factory

from opora.accounts.models import Role, User
from opora.registry.models import AcademicYear, Municipality, Region, School


class RegionFactory(factory.django.DjangoModelFactory[Region]):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"{n + 10}")
    name = factory.Sequence(lambda n: f"Область № {n}")


class MunicipalityFactory(factory.django.DjangoModelFactory[Municipality]):
    class Meta:
        model = Municipality

    region = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"M{n:03d}")
    name = factory.Sequence(lambda n: f"Муниципальный район № {n}")


class AcademicYearFactory(factory.django.DjangoModelFactory[AcademicYear]):
    class Meta:
        model = AcademicYear
        django_get_or_create = ("start_year",)

    start_year = 2024


class SchoolFactory(factory.django.DjangoModelFactory[School]):
    class Meta:
        model = School

    municipality = factory.SubFactory(MunicipalityFactory)
    fis_oko_login = factory.Sequence(lambda n: f"edu{100000 + n}")
    inn = factory.Sequence(lambda n: f"{2500000000 + n}")
    full_name = factory.Sequence(
        lambda n: f"Муниципальное бюджетное общеобразовательное учреждение «СОШ № {n}»"
    )
    short_name = factory.Sequence(lambda n: f"МБОУ «СОШ № {n}»")
    kind = School.Kind.SECONDARY
    location = School.Location.CITY
    settlement = "г. Энск"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Ирина"
    last_name = factory.Sequence(lambda n: f"Петрова-{n}")
    role = Role.ADMINISTRATOR
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()
