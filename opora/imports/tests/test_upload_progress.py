"""The upload pages load the progress script; the form itself stays an ordinary multipart POST."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url_name", ["imports:register-upload", "imports:vpr-upload", "imports:context-upload"]
)
def test_the_upload_pages_load_the_progress_script(client, cast, url_name):
    client.force_login(cast.users["regional"])
    page = client.get(reverse(url_name)).content.decode()
    assert 'enctype="multipart/form-data" data-upload' in page and "<progress" in page
    assert "imports/upload.js" in page


def test_the_script_is_a_static_file():
    found = finders.find("imports/upload.js")
    assert found
    source = Path(found).read_text(encoding="utf-8")
    assert "xhr.upload" in source and "responseURL" in source
