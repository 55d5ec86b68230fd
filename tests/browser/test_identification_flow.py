"""A regional coordinator computes the identification and reads why a school is in the list, in Chromium."""

import os

import pytest
from django.urls import reverse

from conftest import PASSWORD
from tests.browser.test_login_flow import page  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


def test_a_coordinator_computes_the_lists_and_opens_the_reasons(live_server, transactional_db, page):  # noqa: F811
    from playwright.sync_api import expect

    from conftest import make_cast
    from opora.identification.tests.factories import results_store

    cast = make_cast()
    for subject in ("Математика", "Русский язык"):
        results_store(cast.school, year=2025, twos=20, pupils=50, subject=subject)
        results_store(cast.sibling, year=2025, twos=1, pupils=50, subject=subject)
    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label("Логин").fill("regional")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("link", name="Выявление")).to_be_visible()

    page.get_by_role("link", name="Выявление").click()
    page.get_by_label("Год выявления").select_option("2025")
    page.get_by_role("button", name="Рассчитать").click()
    page.wait_for_url("**/identification/runs/*/")
    expect(page.get_by_text("Выявление рассчитано.")).to_be_visible()

    page.get_by_role("link", name="школы с низкими результатами (ШНОР)").click()
    expect(page.get_by_role("link", name=cast.school.short_name)).to_be_visible()
    expect(page.get_by_text(cast.sibling.short_name)).to_have_count(0)
    page.get_by_role("link", name=cast.school.short_name).click()
    expect(page.get_by_role("heading", name="Почему школа в списке")).to_be_visible()
    expect(page.locator("#identification svg")).to_have_count(1)
    page.screenshot(path=os.environ.get("OPORA_SCREENSHOT", "/dev/null"), type="png", full_page=True)
