"""Reference data: the procedures, the usual subjects and the ЕГЭ minimum scores of recent years.

The values are data, editable in the admin; this migration only preloads them. It imports no app code.
"""

from django.db import migrations

PROCEDURES = [
    ("ВПР", "Всероссийские проверочные работы", "federal", "mark"),
    ("ОГЭ", "Основной государственный экзамен", "federal", "mark"),
    ("ГВЭ-9", "Государственный выпускной экзамен, 9 класс", "federal", "mark"),
    ("ЕГЭ", "Единый государственный экзамен", "federal", "test_score"),
    ("ГВЭ-11", "Государственный выпускной экзамен, 11 класс", "federal", "mark"),
    ("РДР", "Региональная диагностическая работа", "regional", "level"),
    ("МДР", "Муниципальная диагностическая работа", "municipal", "level"),
]
SUBJECTS = [
    ("rus", "Русский язык"),
    ("math", "Математика"),
    ("math_profile", "Математика (профильный уровень)"),
    ("math_basic", "Математика (базовый уровень)"),
    ("phys", "Физика"),
    ("chem", "Химия"),
    ("inf", "Информатика"),
    ("bio", "Биология"),
    ("hist", "История"),
    ("geo", "География"),
    ("soc", "Обществознание"),
    ("lit", "Литература"),
    ("eng", "Английский язык"),
    ("deu", "Немецкий язык"),
    ("fra", "Французский язык"),
    ("spa", "Испанский язык"),
    ("zho", "Китайский язык"),
    ("world", "Окружающий мир"),
]
# ЕГЭ minimum test scores (the certificate threshold). 2026 as listed in shared/DOMAIN.md §4; the same values
# applied in 2023-2025. Базовая математика has no test-score minimum: its threshold is the mark «3».
EGE_MINIMUMS = {
    "rus": 24, "math_profile": 27, "phys": 36, "chem": 36, "inf": 40, "bio": 36, "hist": 32, "geo": 37,
    "soc": 42, "lit": 32, "eng": 22, "deu": 22, "fra": 22, "spa": 22, "zho": 22,
}
EGE_YEARS = (2023, 2024, 2025, 2026)
SOURCE = "Минимальные баллы ЕГЭ, установленные Рособрнадзором (предзагружено; проверьте по приказу года)"


def preload(apps, schema_editor):
    Procedure = apps.get_model("assessments", "Procedure")
    Subject = apps.get_model("assessments", "Subject")
    MinimumScore = apps.get_model("assessments", "MinimumScore")
    for code, name, level, outcome in PROCEDURES:
        Procedure.objects.get_or_create(code=code, defaults={"name": name, "level": level, "outcome": outcome})
    subjects = {}
    for code, name in SUBJECTS:
        subjects[code], _ = Subject.objects.get_or_create(code=code, defaults={"name": name})
    ege = Procedure.objects.get(code="ЕГЭ")
    for year in EGE_YEARS:
        for code, minimum in EGE_MINIMUMS.items():
            MinimumScore.objects.get_or_create(
                procedure=ege, year=year, subject=subjects[code], defaults={"minimum": minimum, "source": SOURCE}
            )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]
    operations = [migrations.RunPython(preload, migrations.RunPython.noop)]
