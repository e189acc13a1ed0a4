"""Chinese is the default language, every message is translated, and English is a switch away."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "competitions/translations/zh/LC_MESSAGES/messages.po"
METHODS = [("competitions/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_in_the_code_has_a_chinese_translation():
    catalogue = {m.id if isinstance(m.id, str) else m.id[0]: m
                 for m in read_po(CATALOGUE.open("rb")) if m.id}
    untranslated = sorted(msg for msg in source_messages()
                          if msg not in catalogue or not catalogue[msg].string
                          or catalogue[msg].fuzzy)
    assert not untranslated, "run `make translations` and translate:\n" + "\n".join(untranslated)


def test_translations_keep_their_placeholders():
    import re
    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for message in read_po(CATALOGUE.open("rb")):
        if message.id and message.string and isinstance(message.id, str):
            assert set(placeholder.findall(message.id)) == set(
                placeholder.findall(message.string)), message.id


def test_pages_are_chinese_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "劳动和技能竞赛" in page
    assert "Labour and skills competitions" not in page


@pytest.mark.parametrize("language, expected, absent", [
    ("en", "Labour and skills competitions", "劳动和技能竞赛"),
    ("zh", "劳动和技能竞赛", "Labour and skills competitions"),
])
def test_language_switch_persists_in_a_cookie(client, language, expected, absent):
    response = client.post("/language", data={"language": language, "next": "/"})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert expected in page and absent not in page


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"language": "fr", "next": "/"})
    assert "劳动和技能竞赛" in client.get("/").get_data(as_text=True)


def test_language_switch_does_not_redirect_off_site(client):
    response = client.post("/language", data={"language": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
