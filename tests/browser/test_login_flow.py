"""The path a municipal coordinator lives on, in Debian's headless Chromium driven by Playwright."""

import os
import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("OPORA_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
# Playwright's sync API runs an event loop in this thread; the ORM calls of the fixtures are still safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(locale="ru-RU")
        yield context.new_page()
        context.close()
        browser.close()


def test_it_logs_in_as_a_municipal_coordinator_and_opens_a_school_card(live_server, transactional_db, page):
    from conftest import make_cast

    cast = make_cast()
    page.goto(live_server.url + reverse("core:home"))
    assert page.url.endswith("/accounts/login/?next=/")
    page.get_by_label("Логин").fill("municipal")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()

    page.wait_for_url(f"**/municipalities/{cast.municipality.pk}/")
    assert page.get_by_role("heading", name=cast.municipality.name).is_visible()
    # Only the coordinator's own schools are listed; the neighbour's are not.
    assert page.get_by_role("link", name=cast.sibling.short_name).is_visible()
    assert page.get_by_text(cast.neighbour_school.short_name).count() == 0

    page.get_by_role("link", name=cast.school.short_name).click()
    page.wait_for_url(f"**/schools/{cast.school.pk}/")
    assert page.get_by_role("heading", name="Данные реестра").is_visible()
    assert page.get_by_text(cast.school.fis_oko_login).is_visible()
    page.screenshot(path=os.environ.get("OPORA_SCREENSHOT", "/dev/null"), type="png")
