"""Spreadsheet import: template, every error by row and column, all or nothing, idempotence."""

import html
import io
import re
from contextlib import contextmanager
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from competitions.audit.models import AuditEntry
from competitions.contests.models import CompetitionState
from competitions.extensions import db
from competitions.notifications.models import Notification
from competitions.promotion.levels import SkillLevel
from competitions.registration import imports
from competitions.registration.models import Entry, EntryStatus, ImportBatch, Worker
from competitions.spreadsheets import pipeline
from tests.factories import (
    make_admin,
    make_competition,
    make_enterprise,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
    make_xlsx,
    valid_id_number,
)

FIRM = "南京钢铁集团"


def xlsx(rows, headers=imports.HEADERS) -> bytes:
    return make_xlsx(headers, rows)


def person(i, *, name=None, birth=date(1990, 6, 1), employer=FIRM, level="高级工",
           id_number=None) -> list:
    return [name or f"职工{i}", id_number or valid_id_number(birth, serial=i), f"139{i:08d}",
            employer, level, ""]


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def world(tree):
    competition = make_competition(tree.city, starts_on=date(2026, 9, 1))
    event = make_event(competition, quota_per_org=None)
    people = SimpleNamespace(
        anonymous=None,
        worker=make_user("worker"),
        other_organiser=make_organiser(tree.other_city, "sz_organiser"),
        unit_organiser=make_organiser(tree.firm, "firm_organiser"),
        organiser=make_organiser(tree.city, "nj_organiser"),
        admin=make_admin(),
    )
    make_worker(tree.firm, name="职工本人", user=people.worker,
                id_number=valid_id_number(date(1985, 1, 1), serial=400))
    db.session.commit()
    return SimpleNamespace(tree=tree, competition=competition, event=event, people=people,
                           car_firm=make_enterprise(tree.city, "南京汽车公司"))


@pytest.fixture
def as_role(world, login_as, client):
    def _as(role):
        user = getattr(world.people, role)
        return login_as(user) if user is not None else client
    return _as


def upload(client, event, content, filename="报名表.xlsx"):
    return client.post(f"/registration/events/{event.id}/import",
                       data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def upload_ok(client, event, content) -> int:
    """Upload and return the staged batch's id (the response redirects to its preview)."""
    response = upload(client, event, content)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[-1])


def error_table(page: str) -> list[tuple[str, str, str]]:
    table = page.split('data-testid="error-table"', 1)[1].split("</table>", 1)[0]
    return [tuple(html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row))
            for row in re.findall(r"<tr><td>.*?</tr>", table)]


def workers_and_entries():
    return count(Worker), count(Entry)


# The template


def test_template_has_the_chinese_headers_and_text_formatted_id_column(world, as_role):
    response = as_role("unit_organiser").get("/registration/imports/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [c.value for c in sheet[1]] == ["姓名", "身份证号码", "手机号码", "工作单位",
                                           "职业技能等级", "职业技能等级证书编号"]
    assert sheet["B2"].number_format == "@"
    assert imports.read_rows(response.data) == []  # the empty template reads as no rows


@pytest.mark.parametrize("role, status", [("anonymous", 302), ("worker", 403),
                                          ("organiser", 200)])
def test_template_is_for_organisers(world, as_role, role, status):
    assert as_role(role).get("/registration/imports/template.xlsx").status_code == status


# Who may import


@pytest.mark.parametrize("role, status", [
    ("anonymous", 302), ("worker", 403), ("other_organiser", 403), ("unit_organiser", 200),
    ("organiser", 200), ("admin", 200)])
def test_import_page_is_for_organisers_within_the_competitions_area(world, as_role, role,
                                                                    status):
    response = as_role(role).get(f"/registration/events/{world.event.id}/import")
    assert response.status_code == status


def test_someone_elses_staged_file_is_forbidden(world, as_role, login_as):
    client = as_role("organiser")
    batch_id = upload_ok(client, world.event, xlsx([person(1)]))
    client.post("/accounts/logout")
    login_as(world.people.unit_organiser)
    assert client.get(f"/registration/imports/{batch_id}").status_code == 403
    assert client.post(f"/registration/imports/{batch_id}/confirm").status_code == 403
    assert workers_and_entries() == (1, 0)


def test_closed_registration_takes_no_upload(world, as_role):
    world.competition.state = CompetitionState.REVIEW
    db.session.commit()
    client = as_role("organiser")
    page = client.get(f"/registration/events/{world.event.id}/import").get_data(as_text=True)
    assert 'data-testid="import-closed"' in page and "is not open" in page
    assert upload(client, world.event, xlsx([person(1)])).status_code == 200
    assert count(ImportBatch) == 0


def test_team_events_are_not_imported(world, as_role):
    team_event = make_event(world.competition, "电工", team_size=3)
    db.session.commit()
    page = as_role("organiser").get(f"/registration/events/{team_event.id}/import")
    assert "Team events cannot be imported" in page.get_data(as_text=True)


# Every error, by row and column, with nothing imported

CHECK_DIGIT_ID = valid_id_number(date(1990, 6, 1), serial=7)
BAD_CHECK_DIGIT = CHECK_DIGIT_ID[:-1] + ("0" if CHECK_DIGIT_ID[-1] != "0" else "1")


def _duplicate(rows):
    rows.append(list(rows[0]))
    return rows


ERROR_CASES = {
    "bad check digit": (lambda rows: rows + [person(7, id_number=BAD_CHECK_DIGIT)],
                        "organiser", (4, "身份证号码", "check digit of this ID number is wrong")),
    "unknown employer": (lambda rows: rows + [person(7, employer="不存在的公司")], "organiser",
                         (4, "工作单位", "不存在的公司 is not an enterprise or school in this "
                                       "competition's area")),
    "employer of another city": (lambda rows: rows + [person(7, employer="苏州电气公司")],
                                 "organiser", (4, "工作单位", "is not an enterprise or school")),
    "employer outside the organiser's subtree": (
        lambda rows: rows + [person(7, employer="南京汽车公司")], "unit_organiser",
        (4, "工作单位", "南京汽车公司 is not one of the units you manage")),
    "too young": (lambda rows: rows + [person(7, birth=date(2012, 1, 1))], "organiser",
                  (4, "身份证号码", "Aged 14 on the first day of the contest; the minimum is 16")),
    "duplicate row": (_duplicate, "organiser",
                      (4, "身份证号码", "The same ID number is already on row 2")),
    "missing name": (lambda rows: rows + [["", *person(7)[1:]]], "organiser",
                     (4, "姓名", "姓名 is required")),
    "missing employer": (lambda rows: rows + [person(7, employer="")], "organiser",
                         (4, "工作单位", "工作单位 is required")),
    "bad skill level": (lambda rows: rows + [person(7, level="大师傅")], "organiser",
                        (4, "职业技能等级", "大师傅 is not a skill level")),
    "bad phone": (lambda rows: rows + [[*person(7)[:2], "12345", *person(7)[3:]]],
                  "organiser", (4, "手机号码", "")),
    "id typed as a number": (lambda rows: rows + [[person(7)[0], 3.20102199006011e17,
                                                   *person(7)[2:]]],
                             "organiser", (4, "身份证号码", "stored as a number")),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_error_report_names_row_and_column_and_nothing_is_imported(world, as_role, case):
    make_rows, role, (row, column, message) = ERROR_CASES[case]
    client = as_role(role)
    before = workers_and_entries()
    batch_id = upload_ok(client, world.event, xlsx(make_rows([person(1), person(2)])))
    page = client.get(f"/registration/imports/{batch_id}").get_data(as_text=True)
    assert 'data-testid="import-confirm"' not in page
    errors = error_table(page)
    assert len(errors) == 1, errors
    assert errors[0][:2] == (str(row), column) and message in errors[0][2], errors
    response = client.post(f"/registration/imports/{batch_id}/confirm")
    assert response.status_code == 302
    assert "The file has errors; nothing was imported." in client.get(
        response.headers["Location"]).get_data(as_text=True)
    assert workers_and_entries() == before


def test_every_error_in_every_row_is_listed(world, as_role):
    rows = [person(1), ["", BAD_CHECK_DIGIT, "123", "不存在的公司", "大师傅", ""], person(2)]
    client = as_role("organiser")
    batch_id = upload_ok(client, world.event, xlsx(rows))
    errors = error_table(client.get(f"/registration/imports/{batch_id}").get_data(as_text=True))
    assert [(r, c) for r, c, _m in errors] == [
        ("3", "姓名"), ("3", "身份证号码"), ("3", "手机号码"), ("3", "工作单位"),
        ("3", "职业技能等级")]


@pytest.mark.parametrize("content, filename, message", [
    (xlsx([person(1)], headers=["姓名", "身份证号", "手机号码", "工作单位"]), "a.xlsx",
     "The header row must be exactly"),
    (b"name,id\n", "报名表.xlsx", "The file is not an .xlsx spreadsheet"),
    (b"name,id\n", "报名表.csv", "Upload an .xlsx file"),
])
def test_a_wrong_file_is_refused_at_upload(world, as_role, content, filename, message):
    response = upload(as_role("organiser"), world.event, content, filename)
    assert response.status_code == 200
    assert message in html.unescape(response.get_data(as_text=True))
    assert count(ImportBatch) == 0


def test_a_file_over_the_size_limit_is_refused(world, as_role, monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_FILE_BYTES", 100)  # the one limit, in the pipeline
    response = upload(as_role("organiser"), world.event, xlsx([person(1)]))
    assert response.status_code == 200
    assert count(ImportBatch) == 0


# Quota and capacity count the whole file


def test_quota_counts_existing_entries_and_every_row_of_the_file(world, as_role):
    world.event.quota_per_org = 3
    make_entry(world.event, make_worker(world.tree.firm, name="已报名"),
               status=EntryStatus.PENDING_APPROVAL)
    db.session.commit()
    client = as_role("organiser")
    batch_id = upload_ok(client, world.event, xlsx([person(i) for i in range(1, 5)]))
    errors = error_table(client.get(f"/registration/imports/{batch_id}").get_data(as_text=True))
    assert [(r, c) for r, c, _m in errors] == [("4", "工作单位"), ("5", "工作单位")]
    assert errors[0][2] == "南京钢铁集团 has used its quota of 3 for this event."


def test_capacity_counts_the_whole_file(world, as_role):
    world.event.capacity = 4
    make_entry(world.event, make_worker(world.tree.firm, name="已报名"))
    db.session.commit()
    client = as_role("organiser")
    batch_id = upload_ok(client, world.event, xlsx([person(i) for i in range(1, 5)]))
    errors = error_table(client.get(f"/registration/imports/{batch_id}").get_data(as_text=True))
    assert errors == [("—", "Whole file",
                       "The event has 3 free places; the file would add 4 entries.")]


# The happy path


def test_fifty_rows_create_workers_and_entries_pending_approval(world, as_role):
    client = as_role("organiser")
    before_workers = count(Worker)
    rows = [person(i, level=["", "高级工", "技师（二级）"][i % 3]) for i in range(1, 51)]
    batch_id = upload_ok(client, world.event, xlsx(rows))
    page = client.get(f"/registration/imports/{batch_id}").get_data(as_text=True)
    counts = re.findall(r"<dd>(\d+)</dd>", page.split('data-testid="import-counts"')[1])
    assert counts == ["50", "50", "50", "0"]
    response = client.post(f"/registration/imports/{batch_id}/confirm")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/registration/events/{world.event.id}/entries")
    assert count(Worker) == before_workers + 50
    entries = db.session.scalars(sa.select(Entry).where(Entry.event_id == world.event.id)).all()
    assert len(entries) == 50
    organiser = world.people.organiser
    for entry in entries:
        assert entry.status is EntryStatus.PENDING_APPROVAL
        assert entry.registered_by_id == entry.endorsed_by_id == organiser.id
        assert entry.unit.name == FIRM and len(entry.members) == 1 and entry.members[0].active
    first = db.session.scalar(sa.select(Worker).where(Worker.name == "职工1"))
    assert first.birth_date == date(1990, 6, 1) and first.phone == "13900000001"
    assert first.skill_level is SkillLevel.LEVEL_3 and first.employer.name == FIRM
    assert count(AuditEntry, AuditEntry.action == "entry.import") == 1
    assert db.session.get(ImportBatch, batch_id).imported_at is not None


def test_imported_workers_are_recorded_and_a_name_changed_later_is_found(world, as_role,
                                                                         as_owner, app):
    client = as_role("organiser")
    batch_id = upload_ok(client, world.event, xlsx([person(1), person(2)]))
    client.post(f"/registration/imports/{batch_id}/confirm")
    first = db.session.scalar(sa.select(Worker).where(Worker.name == "职工1"))
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "entry.import"))
    assert first.id_number not in entry.after  # the number only as a keyed digest
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    as_owner("UPDATE workers SET name = '王小明' WHERE id = :w", w=first.id)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"worker {first.id} name: stored 王小明, recorded 职工1" in result.output


def test_unit_organiser_imports_workers_of_their_own_unit(world, as_role):
    client = as_role("unit_organiser")
    batch_id = upload_ok(client, world.event, xlsx([person(1), person(2)]))
    assert client.post(f"/registration/imports/{batch_id}/confirm").status_code == 302
    assert count(Entry) == 2


def test_known_workers_are_matched_by_id_number_and_told(world, as_role):
    own = world.people.worker.worker
    client = as_role("organiser")
    batch_id = upload_ok(client, world.event, xlsx([
        person(1), [own.name, own.id_number.lower(), "", FIRM, "", ""]]))
    client.post(f"/registration/imports/{batch_id}/confirm")
    assert count(Worker) == 2  # 职工本人 reused, 职工1 created
    assert count(Entry) == 2
    assert count(Notification, Notification.user_id == world.people.worker.id) == 1


def test_a_known_id_number_with_another_name_is_an_error(world, as_role):
    own = world.people.worker.worker
    client = as_role("organiser")
    batch_id = upload_ok(client, world.event, xlsx([["李鬼", own.id_number, "", FIRM, "", ""]]))
    errors = error_table(client.get(f"/registration/imports/{batch_id}").get_data(as_text=True))
    assert errors == [("2", "姓名", "This ID number is registered to 职工本人.")]


# Idempotence and all-or-nothing


def test_uploading_the_same_file_again_registers_nobody_twice(world, as_role):
    client = as_role("organiser")
    content = xlsx([person(i) for i in range(1, 4)])
    client.post(f"/registration/imports/{upload_ok(client, world.event, content)}/confirm")
    after_first = workers_and_entries()
    batch_id = upload_ok(client, world.event, content)
    page = client.get(f"/registration/imports/{batch_id}").get_data(as_text=True)
    counts = re.findall(r"<dd>(\d+)</dd>", page.split('data-testid="import-counts"')[1])
    assert counts == ["3", "0", "0", "3"]
    response = client.post(f"/registration/imports/{batch_id}/confirm")
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported 0 entries (0 new workers); 3 already registered" in flashed
    assert workers_and_entries() == after_first


def test_confirming_the_same_batch_twice_is_refused(world, as_role):
    client = as_role("organiser")
    batch_id = upload_ok(client, world.event, xlsx([person(1), person(2)]))
    assert client.post(f"/registration/imports/{batch_id}/confirm").status_code == 302
    after = workers_and_entries()
    response = client.post(f"/registration/imports/{batch_id}/confirm")
    assert response.status_code == 302
    assert workers_and_entries() == after
    batch = db.session.get(ImportBatch, batch_id)
    with pytest.raises(imports.ImportRejected, match="already been imported"):
        imports.confirm(world.people.organiser, batch)
    db.session.rollback()


def test_confirm_after_registration_closed_imports_nothing(world, as_role):
    client = as_role("organiser")
    batch_id = upload_ok(client, world.event, xlsx([person(1)]))
    world.competition.state = CompetitionState.REVIEW
    db.session.commit()
    client.post(f"/registration/imports/{batch_id}/confirm")
    assert count(Entry) == 0
    assert db.session.get(ImportBatch, batch_id).imported_at is None


def test_a_new_upload_replaces_the_unconfirmed_one(world, as_role):
    client = as_role("organiser")
    upload_ok(client, world.event, xlsx([person(1)]))
    second = xlsx([person(2)])
    upload_ok(client, world.event, second)
    (kept,) = db.session.scalars(sa.select(ImportBatch)).all()
    assert kept.content == second


# Validation costs the same statements for 10 rows as for 200


@contextmanager
def statements():
    seen = []

    def count_statement(*_args):
        seen.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count_statement)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count_statement)


def test_validation_issues_a_fixed_number_of_statements(world):
    world.event.barred_titles = ["national_technical_expert"]
    car = world.car_firm
    db.session.commit()
    figures = []
    for size in (10, 200):
        rows = [(i + 2, dict(zip(imports.COLUMN_NAMES, map(str, person(
            i, employer=[FIRM, car.name][i % 2], birth=date(1980 + i % 20, 1 + i % 12, 1))),
            strict=True))) for i in range(size)]
        db.session.expire_all()
        with statements() as seen:
            plan = imports.validate_rows(world.people.organiser, world.event, rows)
        assert plan.ok, plan.errors[:3]
        figures.append(len(seen))
    assert figures[0] == figures[1], figures
