"""Odd input never gives a 500: look-alike digits in a 身份证, control and bidi characters in
text, NUL bytes in searches, out-of-range page numbers, and CR/LF or backslashes in `next`."""

import re
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from competitions.accounts.models import User
from competitions.extensions import db
from competitions.forms import is_safe_next
from competitions.judging import score_import
from competitions.registration import imports
from competitions.registration.idcard import InvalidIdNumber, parse_id_number
from competitions.registration.models import Entry, EntryStatus, Worker
from tests.factories import (
    MarkingSetup,
    make_admin,
    make_competition,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
    valid_id_number,
)

ID_NUMBER = valid_id_number(date(1992, 4, 5), serial=77)


def text(response):
    return response.get_data(as_text=True)


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def field_error(page, field):
    return " ".join(re.findall(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S))


@pytest.fixture(autouse=True)
def english(request):
    """Pages in English; the pure tests below take no app (and no database) at all."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client").set_cookie("lang", "en")


@pytest.fixture
def people(tree):
    admin = make_admin()
    organiser = make_organiser(tree.city, "nj_organiser")
    worker_user = make_user("worker")
    make_worker(tree.firm, name="张三明", user=worker_user)
    competition = make_competition(tree.city)
    event = make_event(competition)
    db.session.commit()
    return SimpleNamespace(admin=admin, organiser=organiser, worker=worker_user, event=event,
                           tree=tree)


def sign_up_data(employer, **overrides):
    data = {"username": "lisi", "password": "abc12345", "confirm": "abc12345", "email": "",
            "name": "李四", "id_number": ID_NUMBER, "phone": "13987654321",
            "employer": str(employer.id), "occupation": "", "skill_level": "",
            "skill_certificate_no": ""}
    data.update(overrides)
    return data


# 身份证: only ASCII digits, never normalised

LOOK_ALIKES = {
    "circled": "①",
    "superscript": "²",
    "full-width": "１",
    "arabic-indic": "\u0663",
    "mathematical bold": "\U0001d7cf",
}


@pytest.mark.parametrize("kind", LOOK_ALIKES)
def test_an_id_number_with_a_look_alike_digit_is_refused_not_converted(kind):
    number = ID_NUMBER[:10] + LOOK_ALIKES[kind] + ID_NUMBER[11:]
    with pytest.raises(InvalidIdNumber, match="17 digits 0-9"):
        parse_id_number(number)


def test_a_lower_case_x_and_spaces_are_still_accepted():
    number = next(n for n in (valid_id_number(date(1990, 1, 1), serial=i) for i in range(500))
                  if n.endswith("X"))
    assert parse_id_number(" " + number[:6] + " " + number[6:-1] + "x").number == number


@given(st.text(max_size=30))
def test_parse_id_number_only_ever_raises_invalid_id_number(raw):
    try:
        identity = parse_id_number(raw)
    except InvalidIdNumber:
        return
    assert re.fullmatch(r"[0-9]{17}[0-9X]", identity.number)


@pytest.mark.parametrize("digit", ["①", "²"])
def test_sign_up_with_a_look_alike_digit_shows_the_error_and_saves_nothing(tree, client, digit):
    data = sign_up_data(tree.firm, id_number=ID_NUMBER[:16] + digit + ID_NUMBER[17])
    response = client.post("/registration/signup?employer_q=南京钢铁", data=data)
    assert response.status_code == 200
    assert "17 digits 0-9" in field_error(text(response), "id_number")
    assert count(User) == 0


def test_the_organisers_worker_form_refuses_a_circled_digit(people, login_as):
    client = login_as(people.organiser)
    workers = count(Worker)
    response = client.post("/registration/workers/new?employer_q=南京钢铁", data={
        "name": "赵六", "id_number": "①" * 18, "phone": "", "employer": str(people.tree.firm.id),
        "occupation": "", "skill_level": "", "skill_certificate_no": "", "group": "employee"})
    assert response.status_code == 200
    assert "17 digits 0-9" in field_error(text(response), "id_number")
    assert count(Worker) == workers


# Control, bidi and combining characters in text fields

@pytest.mark.parametrize("name, what", [
    ("李\u202e四", "text-direction character (U+202E)"),
    ("李\u2066四", "text-direction character (U+2066)"),
    ("\u0301李四", "accent mark (U+0301)"),
    ("李 \u0301四", "accent mark (U+0301)"),
    ("李\x00四", "control character (U+0000)"),
    ("李\x1b四", "control character (U+001B)"),
    ("李\n四", "control character (U+000A)"),
])
def test_sign_up_refuses_control_and_bidi_characters_naming_the_field(tree, client, name, what):
    response = client.post("/registration/signup?employer_q=南京钢铁",
                           data=sign_up_data(tree.firm, name=name))
    assert response.status_code == 200
    error = field_error(text(response), "name")
    assert error.startswith("Real name ") and what in error
    assert count(User) == 0 and count(Worker) == 0


def test_the_message_is_translated(tree, client):
    client.set_cookie("lang", "zh")
    response = client.post("/registration/signup?employer_q=南京钢铁",
                           data=sign_up_data(tree.firm, name="李\u202e四"))
    assert "含有不可见的文字方向控制字符（U+202E）" in field_error(text(response), "name")


def test_a_line_break_is_accepted_in_a_multi_line_field_but_nul_is_not(people, login_as):
    client = login_as(people.organiser)
    entry = make_entry(people.event, make_worker(people.tree.firm, name="王五"),
                       status=EntryStatus.PENDING_APPROVAL)
    db.session.commit()
    url = f"/registration/entries/{entry.id}/reject"
    refused = client.post(url, data={"reason": "材料\x00不全"}, follow_redirects=True)
    assert refused.status_code == 200
    assert "Reason for rejecting contains a control character (U+0000)" in text(refused)
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).status is EntryStatus.PENDING_APPROVAL
    accepted = client.post(url, data={"reason": "材料不全\r\n请补交"})
    assert accepted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).status is EntryStatus.REJECTED


def test_a_form_posted_from_a_page_of_several_flashes_the_refusal_once_named(tree, login_as):
    setup = MarkingSetup(tree)
    setup.finish([30, 35, 25, 38], [50, 40, 45, 55], [90, 80, 70, 85])
    db.session.commit()
    client = login_as(setup.chief)
    page = text(client.post(f"/judging/events/{setup.event.id}/reopen",
                            data={"reopen-reason": "复核\u202e更正"}, follow_redirects=True))
    assert "Reason contains an invisible text-direction character (U+202E)" in page
    assert "Reason: Reason" not in page
    db.session.expire_all()
    assert setup.event.stage.value == "signed_off"


@pytest.mark.parametrize("login", ["admin\x00", "\x00", "a\u202eb"])
def test_login_with_a_nul_byte_is_refused_without_a_500(people, client, login):
    response = client.post("/accounts/login", data={"login": login, "password": "x\x00y"})
    assert response.status_code == 200
    assert "control character" in text(response) or "text-direction" in text(response)


# NUL bytes and other control characters in query strings never reach the database

SEARCHES = [
    ("organiser", "/registration/workers?q={}"),
    ("organiser", "/registration/workers/new?employer_q={}"),
    (None, "/registration/signup?employer_q={}"),
    ("organiser", "/organisations/?q={}"),
    ("admin", "/accounts/users?q={}"),
    ("admin", "/audit/?action={}"),
    ("organiser", "/registration/events/{event}/entries?q={}"),
    ("organiser", "/registration/events/{event}/entries?status={}"),
]


@pytest.mark.parametrize("role, url", SEARCHES)
@pytest.mark.parametrize("value", ["%00", "a%00b", "%1b", "%E2%80%AE"])
def test_a_search_holding_a_control_character_is_a_400(people, login_as, client, role, url,
                                                        value):
    if role:
        client = login_as(getattr(people, role))
    response = client.get(url.replace("{event}", str(people.event.id)).format(value))
    assert response.status_code == 400


def test_an_id_in_the_url_too_large_for_the_database_is_a_404(people, login_as):
    client = login_as(people.admin)
    assert client.get("/registration/workers/99999999999999999999").status_code == 404
    assert client.get("/organisations/2147483648").status_code == 404


@pytest.mark.parametrize("url", ["/registration/workers?org={}", "/organisations/new?parent={}"])
@pytest.mark.parametrize("value", ["99999999999999999999", "2147483648", "１", "①", "-1"])
def test_an_id_in_the_query_string_that_is_no_id_is_a_404(people, login_as, url, value):
    client = login_as(people.admin)
    assert client.get(url.format(value)).status_code == 404


def test_a_nul_in_a_url_part_is_a_400(people, login_as):
    setup = MarkingSetup(people.tree)
    db.session.commit()
    client = login_as(setup.judge2)
    assert client.get(f"/judging/events/{setup.event.id}/sheets/A%00").status_code == 400


@pytest.mark.parametrize("value", ["²", "①", "１", "9" * 5000, "3\x00"])
def test_a_look_alike_or_huge_number_in_a_preset_option_is_refused_not_a_500(tree, login_as,
                                                                              value):
    setup = MarkingSetup(tree)
    db.session.commit()
    client = login_as(setup.organiser)
    response = client.post(f"/results/competitions/{setup.competition.id}/settings", data={
        "award_scheme": "fixed_counts", "min_total_first_prize": "60",
        "notice_period": "7", "notice_unit": "days", "appeal_period": "2",
        "appeal_unit": "hours", "tie_breaks-0": "practical", "advance_top_n": "2",
        "award_fixed_counts_first": value, "award_fixed_counts_second": "5",
        "award_fixed_counts_third": "10"})
    assert response.status_code == 200
    assert 'id="award_fixed_counts_first-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert setup.competition.award_scheme != "fixed_counts"


# Spreadsheet cells

def _row(name, id_number=None, employer="南京钢铁集团"):
    return {"name": name, "id_number": id_number or valid_id_number(serial=9),
            "phone": "", "employer": employer, "skill_level": "", "skill_certificate_no": ""}


@pytest.mark.parametrize("cell, column, what", [
    ({"name": "李\u202e四"}, "姓名", "U+202E"),
    ({"name": "李\x00四"}, "姓名", "U+0000"),
    ({"employer": "南京钢铁\x00集团"}, "工作单位", "U+0000"),
    ({"employer": "\u0301南京钢铁集团"}, "工作单位", "U+0301"),
    ({"id_number": "\x00" * 18}, "身份证号码", "U+0000"),
])
def test_an_imported_cell_with_a_refused_character_is_a_row_error(people, cell, column, what):
    rows = [(2, _row("王五", valid_id_number(serial=10))), (3, {**_row("李四"), **cell})]
    plan = imports.validate_rows(people.organiser, people.event, rows)
    assert not plan.ok
    assert [(e.row, e.column) for e in plan.errors] == [(3, column)]
    assert what in str(plan.errors[0].message) and column in str(plan.errors[0].message)


def test_the_import_preview_shows_a_look_alike_digit_as_a_row_error(people, login_as):
    from tests.test_imports import upload_ok, xlsx
    client = login_as(people.organiser)
    content = xlsx([["李四", ID_NUMBER[:16] + "①" + ID_NUMBER[17], "", "南京钢铁集团", "", ""],
                    ["王\u202e五", valid_id_number(serial=3), "", "南京钢铁集团", "", ""]])
    batch_id = upload_ok(client, people.event, content)
    page = text(client.get(f"/registration/imports/{batch_id}"))
    assert "17 digits 0-9" in page and "text-direction character (U+202E)" in page
    workers = count(Worker)
    response = client.post(f"/registration/imports/{batch_id}/confirm", follow_redirects=True)
    assert response.status_code < 500 and count(Worker) == workers


@pytest.mark.parametrize("value, what", [("5\u202e0", "U+202E"), ("\u030150", "U+0301"),
                                         ("50\n1", "U+000A")])
def test_a_score_cell_with_a_refused_character_is_a_row_error(tree, value, what):
    setup = MarkingSetup(tree)
    plan = score_import.validate(setup.event, ["赛位号", "T1"],
                                 [(2, [setup.code(0), "50"]), (3, [setup.code(1), value])])
    assert [(e.row, e.column) for e in plan.errors] == [(3, "T1")]
    assert what in str(plan.errors[0].message) and not plan.ok


def test_a_score_key_cell_with_a_nul_is_a_row_error(tree):
    setup = MarkingSetup(tree)
    plan = score_import.validate(setup.event, ["赛位号", "T1"], [(2, ["A\x00", "50"])])
    assert [(e.row, e.column) for e in plan.errors] == [(2, "赛位号")]


# Out-of-range page numbers: the eight paginated lists

PAGINATED = [
    (None, "/competitions"),
    ("worker", "/registration/open"),
    ("organiser", "/registration/events/{event}/entries"),
    ("organiser", "/registration/workers"),
    ("admin", "/audit/"),
    ("organiser", "/organisations/{city}"),
    ("admin", "/accounts/users"),
    ("organiser", "/contests/"),
]


@pytest.mark.parametrize("role, url", PAGINATED)
def test_a_page_out_of_range_or_not_a_number_is_a_404(people, login_as, client, role, url):
    if role:
        client = login_as(getattr(people, role))
    url = url.format(event=people.event.id, city=people.tree.city.id)
    assert client.get(url).status_code == 200
    assert client.get(url + "?page=1").status_code == 200
    for page in ["99999999999999999999", "9223372036854775808", "100001", "500", "0", "-1",
                 "abc", "", "1.5", "①", "１", "1e3"]:
        assert client.get(f"{url}?page={page}").status_code == 404, page


# `next`: only same-site paths, no control characters, no backslashes

@pytest.mark.parametrize("url", ["/registration/me", "/results/competitions?page=2",
                                 "/organisations/?q=%E5%8D%97"])
def test_same_site_paths_are_safe(url):
    assert is_safe_next(url)


@pytest.mark.parametrize("url", [None, "", "http://evil.example/", "//evil.example",
                                 "/\\evil.example", "\\\\evil.example", "/\r\nSet-Cookie: a=b",
                                 "/\n/evil.example", "/\t/evil.example", "/a\x00b",
                                 "/\u202egnp.exe", "relative/path", "javascript:alert(1)"])
def test_unsafe_next_urls_are_refused(url):
    assert not is_safe_next(url)


@given(st.text())
def test_is_safe_next_never_raises_and_accepts_no_control_character(url):
    if is_safe_next(url):
        assert url.startswith("/") and not url.startswith("//") and "\\" not in url
        assert not any(ord(c) < 32 or ord(c) == 127 for c in url)


@pytest.mark.parametrize("next_url", ["/\r\nLocation: http://evil.example", "/\\evil.example",
                                      "/a\x00b", "http://evil.example/"])
def test_the_language_switch_falls_back_to_the_home_page(client, next_url):
    response = client.post("/language", data={"language": "en", "next": next_url})
    assert response.status_code == 302 and response.location == "/"


def test_the_language_switch_follows_a_safe_next(client):
    response = client.post("/language", data={"language": "en", "next": "/competitions"})
    assert response.location == "/competitions"


@pytest.mark.parametrize("next_url", ["%0D%0ALocation:%20http://evil.example", "/%5Cevil.example",
                                      "/a%00b"])
def test_login_with_an_unsafe_next_falls_back_to_the_dashboard(people, client, next_url):
    response = client.post(f"/accounts/login?next={next_url}",
                           data={"login": "worker", "password": "secret123"})
    assert response.status_code == 302 and response.location == "/accounts/dashboard"
