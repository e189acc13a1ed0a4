"""User text inside translated messages reaches the page as text, never as markup (DESIGN.md §5,
injection; issue 9, finding 6). Each test replays one way hostile text got in: a competition
name in a banner, a sign-up name in a flash, spreadsheet cells in an import preview, a field
error echoing what was typed. Each fails if `LazyText.__html__` returns the raw text again."""

import io
import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.json.tag import TaggedJSONSerializer
from markupsafe import Markup, escape

from competitions import demo
from competitions.accounts.models import User
from competitions.contests.models import CompetitionState, Event, EventStage
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.registration.models import Worker
from tests.conftest import login
from tests.factories import (
    MarkingSetup,
    make_competition,
    make_event,
    make_organiser,
    make_user,
    make_worker,
    valid_id_number,
)
from tests.factories import (
    make_xlsx as xlsx,
)

# An image that runs script: short enough for a worker's name (50 characters).
IMG = "<img src=x onerror=alert(1)>"
# What sent an organiser to another site from the import page's banner.
META = '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
# A phone field holds 20 characters and loses its spaces: markup without any.
SVG = "<svg/onload=xss()>"
PASSWORD = "Qv7-river-lantern"  # strong enough for the sign-up's password rules
# Flask-Babel's own lazy strings, imported or subclassed anywhere but in competitions/i18n.py.
FLASK_BABEL_LAZY = re.compile(r"from flask_babel import (?:[^\n(]*|\([^)]*)\blazy_"
                              r"|flask_babel\.lazy_|\bLazyString\b")


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


def assert_shown_as_text(page: str, *payloads: str) -> None:
    """Each payload is on the page, escaped, and nowhere raw."""
    assert [payload for payload in payloads if payload in page] == []
    assert [payload for payload in payloads if str(escape(payload)) not in page] == []



def upload(client, url: str, content: bytes, filename: str) -> str:
    """Upload a spreadsheet and return the preview page the upload redirects to."""
    response = client.post(url, data={"file": (io.BytesIO(content), filename)},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    preview = client.get(response.headers["Location"])
    assert preview.status_code == 200
    return preview.get_data(as_text=True)


def test_a_lazy_message_with_a_value_is_text_wherever_markup_meets_it(app):
    with app.test_request_context():
        message = _l("%(name)s is taken.", name=IMG)
        escaped = f"{escape(IMG)} is taken."
        assert Markup("<p>{}</p>").format(message) == f"<p>{escaped}</p>"
        assert escape(message) == escaped
        # The session keeps a flashed message that has __html__ as markup: escaped text.
        serialiser = TaggedJSONSerializer()
        assert serialiser.loads(serialiser.dumps({"m": message}))["m"] == Markup(escaped)


def test_every_lazy_message_comes_from_the_escaping_lazy_gettext():
    """Flask-Babel's own lazy_gettext would bring the raw __html__ back, one module at a time."""
    package = Path(__file__).resolve().parent.parent / "competitions"
    offenders = [str(path.relative_to(package)) for path in package.rglob("*.py")
                 if path.name != "i18n.py"
                 and FLASK_BABEL_LAZY.search(path.read_text("utf-8"))]
    assert offenders == []


def test_the_import_pages_closed_banner_shows_a_hostile_competition_name_as_text(tree, login_as):
    competition = make_competition(tree.city, name=META, state=CompetitionState.REVIEW)
    event = make_event(competition)
    organiser = make_organiser(tree.city, "nj_organiser")
    db.session.commit()
    page = login_as(organiser).get(f"/registration/events/{event.id}/import")
    page = page.get_data(as_text=True)
    banner = re.search(r'data-testid="import-closed">(.*?)</div>', page, re.S).group(1)
    assert "is not open" in banner
    assert_shown_as_text(banner, META)
    assert '<meta http-equiv="refresh"' not in page


def test_a_name_chosen_at_sign_up_shows_as_text_in_an_organisers_team_error(tree, client,
                                                                          login_as):
    id_number = valid_id_number(date(1992, 4, 5))
    response = client.post("/registration/signup", data={
        "username": "hostile", "password": PASSWORD, "confirm": PASSWORD, "email": "",
        "name": IMG, "id_number": id_number, "phone": "13987654321",
        "employer": str(tree.firm.id), "occupation": "", "skill_level": "",
        "skill_certificate_no": ""})
    assert response.status_code == 302
    client.post("/accounts/logout")
    assert db.session.scalar(sa.select(Worker.name).where(Worker.id_number == id_number)) == IMG
    event = make_event(make_competition(tree.city), team_size=2, min_age=50)
    teammate = make_worker(tree.firm, name="王五明", phone="13900000001",
                           id_number=valid_id_number(date(1970, 1, 1)))
    organiser = make_organiser(tree.city, "nj_organiser")
    db.session.commit()
    page = login_as(organiser).post(f"/registration/events/{event.id}/team", data={
        "team_name": "钢铁一队", "members": f"{id_number}\n{teammate.id_number}"})
    page = page.get_data(as_text=True)
    assert "is not eligible" in page
    assert_shown_as_text(page, IMG)


def test_the_registration_import_preview_shows_hostile_cells_as_text(tree, login_as):
    event = make_event(make_competition(tree.city, starts_on=date(2026, 9, 1)),
                       quota_per_org=None)
    organiser = make_organiser(tree.city, "nj_organiser")
    db.session.commit()
    employer, level = IMG.replace("x", "employer"), IMG.replace("x", "level")
    content = xlsx(["姓名", "身份证号码", "手机号码", "工作单位", "职业技能等级",
                    "职业技能等级证书编号"],
                   [[IMG, valid_id_number(date(1990, 6, 1)), "13900000002", employer, level,
                     ""]])
    page = upload(login_as(organiser), f"/registration/events/{event.id}/import", content,
                  filename=f"{SVG}.xlsx")
    assert 'data-testid="error-table"' in page
    assert "is not a skill level" in page and "is not an enterprise or school" in page
    assert_shown_as_text(page, employer, level, SVG)


def test_the_theory_score_import_preview_shows_hostile_cells_as_text(tree, login_as):
    setup = MarkingSetup(tree)
    db.session.commit()
    header, key, score = (IMG.replace("x", "header"), IMG.replace("x", "key"),
                          IMG.replace("x", "score"))
    client = login_as(setup.chief)
    base = f"/judging/events/{setup.event.id}/score-imports"
    page = upload(client, base, xlsx(["赛位号", "T1", header], [[key, 90, 1]]),
                  filename="理论成绩.xlsx")
    assert "is not an imported criterion" in page
    assert_shown_as_text(page, header)
    page = upload(client, base, xlsx(["赛位号", "T1"], [[key, score]]), filename="理论成绩.xlsx")
    assert "No entry of this event has" in page and "is not a number" in page
    assert_shown_as_text(page, key, score)


@pytest.mark.parametrize("field, value, message", [
    ("username", IMG, "is taken"),
    ("phone", SVG, "is not a mainland mobile number"),
])
def test_sign_up_field_errors_echo_the_username_and_phone_as_text(tree, client, field, value,
                                                                    message):
    make_user(IMG)  # the username is taken, so its error repeats it
    db.session.commit()
    data = {"username": "lisi", "password": PASSWORD, "confirm": PASSWORD, "email": "",
            "name": "李四", "id_number": valid_id_number(date(1992, 4, 5)),
            "phone": "13987654321", "employer": str(tree.firm.id), "occupation": "",
            "skill_level": "", "skill_certificate_no": ""}
    page = client.post("/registration/signup", data={**data, field: value})
    page = page.get_data(as_text=True)
    error = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S).group(1)
    assert message in error
    assert_shown_as_text(error, value)


def test_the_consistency_chart_drawn_on_the_server_shows_a_judges_name_as_text(app, demo_data):
    judge = db.session.scalar(sa.select(User).where(User.username == "judge03"))
    judge.display_name = IMG
    event_id = db.session.scalar(sa.select(Event.id).where(Event.stage == EventStage.SCORING))
    db.session.commit()
    client = app.test_client()
    assert login(client, "admin", demo.DEMO_PASSWORD).status_code == 302
    page = client.get(f"/judging/events/{event_id}/consistency").get_data(as_text=True)
    chart = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert_shown_as_text(chart, IMG[:23])  # the chart cuts labels at 24 characters
    assert "<img" not in chart
