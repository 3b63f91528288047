"""The UI's Spanish comes from Django's JavaScript catalogue: every string the frontend marks
with pgettext(key, English) is translated in frontend/locale/es/LC_MESSAGES/djangojs.po, keeps
its {placeholders}, and is served by /jsi18n/es/; nothing in the .po is left over from old marks."""
import json
import re
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "frontend" / "src"
PO_PATH = ROOT / "frontend" / "locale" / "es" / "LC_MESSAGES" / "djangojs.po"
MARK = re.compile(r'pgettext\(\s*("(?:[^"\\]|\\.)*")\s*,\s*("(?:[^"\\]|\\.)*")\s*\)')
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def marked_strings() -> dict[str, str]:
    """key -> English text of every pgettext mark in the frontend's sources."""
    marks = {}
    for path in sorted(SOURCES.rglob("*.js")):
        for key, english in MARK.findall(path.read_text(encoding="utf-8")):
            marks[json.loads(key)] = json.loads(english)
    return marks


@pytest.fixture(scope="module")
def spanish_catalogue(django_db_blocker):
    call_command("compile_catalogues", verbosity=0)  # .mo files are build output
    from django.test import Client

    response = Client().get("/jsi18n/es/")
    assert response.status_code == 200
    return response.json()["catalog"]


def test_the_frontend_marks_its_strings():
    marks = marked_strings()

    assert len(marks) > 200 and marks["signin.title"] == "Sign in"


def test_every_marked_string_is_served_in_spanish_with_its_placeholders(spanish_catalogue):
    missing, broken = [], []
    for key, english in marked_strings().items():
        spanish = spanish_catalogue.get(f"{key}\x04{english}")
        if not spanish:
            missing.append(key)
        elif set(PLACEHOLDER.findall(spanish)) != set(PLACEHOLDER.findall(english)):
            broken.append(key)

    assert missing == [] and broken == []


def test_the_po_file_has_no_entries_for_strings_the_frontend_no_longer_marks():
    marks = set(marked_strings().items())
    stale = [entry.msgctxt for entry in polib.pofile(str(PO_PATH))
             if not entry.obsolete and (entry.msgctxt, entry.msgid) not in marks]

    assert stale == []


def test_an_unknown_language_is_a_404_with_a_message(anonymous_client):
    response = anonymous_client.get("/jsi18n/fr/")

    assert response.status_code == 404 and "unknown language 'fr'" in response.json()["detail"]


def test_english_needs_no_translations(anonymous_client):
    response = anonymous_client.get("/jsi18n/en/")

    assert response.status_code == 200 and not any("\x04" in key for key in response.json()["catalog"])


def test_compiling_refuses_a_catalogue_with_untranslated_strings(tmp_path):
    from django.core.management import CommandError

    from frontend.management.commands.compile_catalogues import compile_catalogue

    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    catalogue.append(polib.POEntry(msgctxt="form.search", msgid="Search", msgstr="Buscar"))
    catalogue.append(polib.POEntry(msgctxt="form.k", msgid="Results (k)", msgstr=""))
    po_path = tmp_path / "djangojs.po"
    catalogue.save(str(po_path))

    with pytest.raises(CommandError, match="1 untranslated strings, e.g. form.k"):
        compile_catalogue(po_path)
    assert not po_path.with_suffix(".mo").exists()
