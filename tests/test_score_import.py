"""Theory-score import: by blind code or entry number, every error by row and column, all or
nothing, idempotent confirmation, audited replacements, and no leak of who is behind a code."""

import html
import io
import json
import random
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from competitions.accounts.models import Role, RoleGrant, User
from competitions.audit.models import AuditEntry
from competitions.contests.models import CompetitionState, EventStage
from competitions.database import utcnow
from competitions.errors import PermissionDenied
from competitions.extensions import db
from competitions.judging import score_import as service
from competitions.judging import services as schemes
from competitions.judging.models import ComponentKind, CriterionKind, ImportedMark, ScoreImport
from competitions.registration.draw import draw_event
from competitions.registration.models import EntryStatus
from competitions.spreadsheets import pipeline
from tests.factories import (
    make_admin,
    make_competition,
    make_entry,
    make_event,
    make_organiser,
    make_user,
    make_worker,
    valid_id_number,
)
from tests.factories import (
    make_xlsx as xlsx,
)

UNIT = "南京钢铁集团"



def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def marks() -> dict:
    """{entry id: value} of every imported mark, read afresh from the database."""
    db.session.expire_all()
    return {m.entry_id: m.value for m in db.session.scalars(sa.select(ImportedMark))}


def audits(action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.seq)).all()


def build_scheme(actor, event):
    """Theory 30 % from the exam system (T1 out of 100, step 0.5), practical 70 % measured."""
    scheme = schemes.scheme_for(actor, event)
    theory = schemes.add_component(actor, scheme, name="理论知识", kind=ComponentKind.THEORY,
                                   weight=D(30))
    practical = schemes.add_component(actor, scheme, name="实际操作",
                                      kind=ComponentKind.PRACTICAL, weight=D(70))
    schemes.add_criterion(actor, theory, code="T1", description="理论考试", max_mark=D(100),
                          kind=CriterionKind.IMPORTED, step=D("0.5"))
    schemes.add_criterion(actor, practical, code="A1", description="焊缝尺寸", max_mark=D(20),
                          kind=CriterionKind.MEASUREMENT, step=D("0.5"))
    return scheme


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def world(tree):
    competition = make_competition(tree.city, state=CompetitionState.REVIEW)
    event = make_event(competition, quota_per_org=None)
    other_event = make_event(competition, "电工", quota_per_org=None)
    workers = [make_worker(tree.firm, name=f"选手{i}", phone=f"1390000{i:04d}",
                           id_number=valid_id_number(date(1990, 1, 1 + i), serial=i))
               for i in range(5)]
    entries = [make_entry(event, w) for w in workers[:4]]
    stranger = make_entry(other_event, workers[4])
    organiser = make_organiser(tree.city, "nj_organiser")
    draw_event(organiser, event, rng=random.Random(7))
    draw_event(organiser, other_event, rng=random.Random(8))
    entries[3].status = EntryStatus.WITHDRAWN  # keeps its codes, takes no score
    scheme = build_scheme(organiser, event)
    scheme.locked_at = utcnow()
    event.stage = EventStage.SCORING
    people = SimpleNamespace(
        anonymous=None,
        organiser=organiser,
        chief=make_user("chief", display_name="裁判长"),
        judge=make_user("judge"),
        worker=make_user("worker"),
        other_organiser=make_organiser(tree.other_city, "sz_organiser"),
        admin=make_admin(),
    )
    make_worker(tree.firm, name="职工本人", user=people.worker,
                id_number=valid_id_number(date(1985, 1, 1), serial=400))
    db.session.add_all([RoleGrant(user=people.chief, role=Role.CHIEF_JUDGE, event_id=event.id),
                        RoleGrant(user=people.judge, role=Role.JUDGE, event_id=event.id)])
    db.session.commit()
    return SimpleNamespace(event=event, other_event=other_event, entries=entries,
                           workers=workers, stranger=stranger, people=people)


@pytest.fixture
def as_role(world, login_as, client):
    def _as(role):
        user = getattr(world.people, role)
        return login_as(user) if user is not None else client
    return _as


def base(event) -> str:
    return f"/judging/events/{event.id}/score-imports"


def upload(client, event, content, filename="理论成绩.xlsx"):
    return client.post(base(event), data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def upload_ok(client, event, content) -> int:
    """Upload and return the staged file's id (the response redirects to its preview)."""
    response = upload(client, event, content)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(response.headers["Location"].rsplit("/", 1)[-1])


def preview_page(client, event, staged_id) -> str:
    response = client.get(f"{base(event)}/{staged_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def confirm(client, event, staged_id) -> str:
    """Post the confirmation and return the page it redirects to."""
    response = client.post(f"{base(event)}/{staged_id}/confirm")
    assert response.status_code == 302
    return html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))


def error_table(page: str) -> list[tuple[str, str, str]]:
    table = page.split('data-testid="error-table"', 1)[1].split("</table>", 1)[0]
    return [tuple(html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row))
            for row in re.findall(r"<tr><td>.*?</tr>", table)]


def score_rows(page: str) -> list[list[str]]:
    table = page.split('data-testid="score-rows"', 1)[1].split("</table>", 1)[0]
    return [[re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr><td>.*?</tr>", table, re.S)]


def by_blind(world, *scores) -> bytes:
    return xlsx(["赛位号", "T1"], [[world.entries[i].blind_code, s] for i, s in enumerate(scores)])


# The happy path


def test_scores_import_by_blind_code_as_exact_decimals(world, as_role):
    client = as_role("chief")
    a, b, c = world.entries[:3]
    content = xlsx(["赛位号", "T1"], [[a.blind_code, 88.5], [b.blind_code, "92"],
                                     [c.blind_code.lower(), 0.5]])
    staged_id = upload_ok(client, world.event, content)
    page = preview_page(client, world.event, staged_id)
    assert score_rows(page) == [["2", a.blind_code, "88.50 new"], ["3", b.blind_code, "92.00 new"],
                                ["4", c.blind_code.lower(), "0.50 new"]]
    flashed = confirm(client, world.event, staged_id)
    assert "Imported 3 rows: 3 scores added, 0 replaced, 0 unchanged." in flashed
    stored = marks()
    assert stored == {a.id: D("88.5"), b.id: D(92), c.id: D("0.5")}
    assert all(isinstance(v, D) for v in stored.values())
    assert str(stored[a.id]) == "88.50"
    staged = db.session.get(ScoreImport, staged_id)
    assert staged.imported_at is not None and staged.user_id == world.people.chief.id
    assert {m.batch_id for m in db.session.scalars(sa.select(ImportedMark))} == {staged_id}
    entry_audits = audits("mark.import")
    assert [(e.subject_type, e.subject_id) for e in entry_audits] == [
        ("Entry", str(a.id)), ("Entry", str(b.id)), ("Entry", str(c.id))]
    assert entry_audits[0].before is None
    assert json.loads(entry_audits[0].after) == {"source": "import", "marks": {"T1": "88.50"},
                                                 "batch": staged_id}
    (summary,) = audits("score_import.confirm")
    assert summary.subject_id == str(staged_id) and json.loads(summary.after) == {"rows": 3}


def test_scores_import_by_entry_number_with_an_english_header(world, as_role):
    client = as_role("organiser")
    a, b = world.entries[:2]
    # An entry number typed as a number loses its leading zeros; it still finds its entry.
    content = xlsx(["Entry number", "t1"], [[a.entry_number, "75.5"], [int(b.entry_number), 60]])
    staged_id = upload_ok(client, world.event, content)
    page = preview_page(client, world.event, staged_id)
    assert score_rows(page) == [["2", a.entry_number, "75.50 new"],
                                ["3", str(int(b.entry_number)), "60.00 new"]]
    confirm(client, world.event, staged_id)
    assert marks() == {a.id: D("75.5"), b.id: D(60)}


def test_the_template_has_only_the_headers(world, as_role):
    response = as_role("chief").get(f"{base(world.event)}/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == ["加密号", "T1"]  # A1 is marked by judges
    assert sheet.max_row == 1 or all(c.value is None for row in sheet.iter_rows(min_row=2)
                                     for c in row)
    cells = " ".join(str(c.value) for s in workbook.worksheets for row in s.iter_rows()
                     for c in row if c.value is not None)
    for entry in world.entries:
        assert entry.blind_code not in cells and entry.entry_number not in cells
    header, rows = service.read_sheet(response.data)
    assert (header, rows) == (["加密号", "T1"], [])


def test_the_same_file_uploaded_twice_reuses_its_stage(world, as_role):
    client = as_role("chief")
    content = by_blind(world, 80, 81)
    first = upload_ok(client, world.event, content)
    assert upload_ok(client, world.event, content) == first
    assert count(ScoreImport) == 1
    corrected = by_blind(world, 80, 82)
    upload_ok(client, world.event, corrected)
    (kept,) = db.session.scalars(sa.select(ScoreImport)).all()  # the superseded stage is gone
    assert kept.content == corrected


# Every error, by row and column, with nothing imported


def _rows(world, bad_row, header=("赛位号", "T1")):
    a, b = world.entries[:2]
    return xlsx(list(header), [[a.blind_code, 80], [b.blind_code, 81], bad_row])


ERROR_CASES = {
    "unknown blind code": (lambda w: _rows(w, ["ZZZZZZZZ", 70]),
                           (4, "赛位号", "No entry of this event has the 赛位号 ZZZZZZZZ.")),
    "entry of another event": (lambda w: _rows(w, [w.stranger.blind_code, 70]),
                               (4, "赛位号", "No entry of this event has the 赛位号")),
    "key twice": (lambda w: _rows(w, [w.entries[0].blind_code.lower(), 70]),
                  (4, "赛位号", "The same 赛位号 is already on row 2.")),
    "entry withdrawn": (lambda w: _rows(w, [w.entries[3].blind_code, 70]),
                        (4, "赛位号", "is not approved (Withdrawn); it takes no score.")),
    "missing key": (lambda w: _rows(w, [None, 70]), (4, "赛位号", "赛位号 is required.")),
    "missing score": (lambda w: _rows(w, [w.entries[2].blind_code, None]),
                      (4, "T1", "The score for T1 is missing.")),
    "not a number": (lambda w: _rows(w, [w.entries[2].blind_code, "八十"]),
                     (4, "T1", "八十 is not a number.")),
    "above the maximum": (lambda w: _rows(w, [w.entries[2].blind_code, 100.5]),
                          (4, "T1", "100.5 is outside 0 to 100.")),
    "negative": (lambda w: _rows(w, [w.entries[2].blind_code, "-1"]),
                 (4, "T1", "-1 is outside 0 to 100.")),
    "off the step": (lambda w: _rows(w, [w.entries[2].blind_code, 88.3]),
                     (4, "T1", "88.3 is not a multiple of the step 0.5.")),
    "float a hair off the step": (lambda w: _rows(w, [w.entries[2].blind_code,
                                                      88.49999999999999]),
                                  (4, "T1", "is not a multiple of the step 0.5.")),
    "too many places": (lambda w: _rows(w, [w.entries[2].blind_code,
                                            "88.5000000000000000000000000000001"]),
                        (4, "T1", "is not a multiple of the step 0.5.")),
    "both key columns": (lambda w: _rows(w, [w.entries[2].blind_code, 70, "003"],
                                         header=("赛位号", "T1", "参赛号")),
                         (1, "参赛号", "Use one key column, 加密号 or 参赛号, not both.")),
    "unknown criterion": (lambda w: _rows(w, [w.entries[2].blind_code, 70, 5],
                                          header=("赛位号", "T1", "T9")),
                          (1, "T9", "T9 is not an imported criterion of this event; the score "
                                    "columns are headed T1.")),
    "criterion marked by judges": (lambda w: _rows(w, [w.entries[2].blind_code, 70, 5],
                                                   header=("赛位号", "T1", "A1")),
                                   (1, "A1", "A1 is not an imported criterion")),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_an_error_names_row_and_column_and_nothing_is_imported(world, as_role, case):
    make_file, (row, column, message) = ERROR_CASES[case]
    client = as_role("chief")
    staged_id = upload_ok(client, world.event, make_file(world))
    page = preview_page(client, world.event, staged_id)
    assert 'data-testid="import-confirm"' not in page
    errors = error_table(page)
    assert len(errors) == 1, errors
    assert errors[0][:2] == (str(row), column) and message in errors[0][2], errors
    assert "The file has errors; nothing was imported." in confirm(client, world.event,
                                                                    staged_id)
    assert marks() == {} and audits("mark.import") == []
    assert db.session.get(ScoreImport, staged_id).imported_at is None


def test_a_file_without_a_key_column_says_which_headers_it_needs(world, as_role):
    client = as_role("chief")
    staged_id = upload_ok(client, world.event, xlsx(["姓名", "T1"], [["选手0", 70]]))
    errors = error_table(preview_page(client, world.event, staged_id))
    assert errors == [
        ("1", "姓名", "姓名 is not an imported criterion of this event; the score columns are "
                      "headed T1."),
        ("1", "加密号", "The file needs a first column headed 加密号, holding the blind codes.")]
    assert "The file has errors; nothing was imported." in confirm(client, world.event,
                                                                    staged_id)
    assert marks() == {}


def test_every_error_in_a_row_is_listed_and_good_marks_stay(world, as_role):
    client = as_role("chief")
    confirm(client, world.event, upload_ok(client, world.event, by_blind(world, 80, 81)))
    before = marks()
    content = xlsx(["赛位号", "T1"], [[world.entries[0].blind_code, 90],
                                     ["ZZZZZZZZ", "abc"], [world.entries[1].blind_code, 101]])
    staged_id = upload_ok(client, world.event, content)
    errors = error_table(preview_page(client, world.event, staged_id))
    assert [(r, c) for r, c, _m in errors] == [("3", "赛位号"), ("3", "T1"), ("4", "T1")]
    confirm(client, world.event, staged_id)
    assert marks() == before == {world.entries[0].id: D(80), world.entries[1].id: D(81)}


@pytest.mark.parametrize("content, filename, message", [
    (b"not a spreadsheet", "理论成绩.xlsx", "The file is not an .xlsx spreadsheet"),
    (b"a,b\n", "理论成绩.csv", "Upload an .xlsx file"),
])
def test_a_file_that_is_no_spreadsheet_is_refused_at_upload(world, as_role, content, filename,
                                                             message):
    response = upload(as_role("chief"), world.event, content, filename)
    assert response.status_code == 200
    assert message in html.unescape(response.get_data(as_text=True))
    assert count(ScoreImport) == 0


def test_a_file_over_the_size_limit_is_refused(world, as_role, monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_FILE_BYTES", 100)  # the one limit, in the pipeline
    response = upload(as_role("chief"), world.event, by_blind(world, 80))
    assert response.status_code == 200
    assert "The file is larger than 0 MB." in response.get_data(as_text=True)
    assert count(ScoreImport) == 0


# Confirming twice, and correcting


def test_confirming_twice_does_nothing_the_second_time(world, as_role):
    client = as_role("chief")
    staged_id = upload_ok(client, world.event, by_blind(world, 80, 81))
    confirm(client, world.event, staged_id)
    audited = count(AuditEntry)
    flashed = confirm(client, world.event, staged_id)
    assert "This file has already been imported." in flashed
    assert count(AuditEntry) == audited
    assert marks() == {world.entries[0].id: D(80), world.entries[1].id: D(81)}
    with pytest.raises(service.AlreadyImported):
        service.confirm(world.people.chief, db.session.get(ScoreImport, staged_id))
    db.session.rollback()
    response = client.get(f"{base(world.event)}/{staged_id}")
    assert response.status_code == 302  # an imported file has no preview any more


def test_a_corrected_file_replaces_scores_and_audits_old_and_new(world, as_role):
    client = as_role("chief")
    a, b, c = world.entries[:3]
    first = upload_ok(client, world.event, by_blind(world, 88.5, 81, 70))
    confirm(client, world.event, first)
    second = upload_ok(client, world.event, by_blind(world, 90, 81, "70.0"))
    rows = score_rows(preview_page(client, world.event, second))
    assert rows == [["2", a.blind_code, "88.50 → 90.00"], ["3", b.blind_code, "81.00 unchanged"],
                    ["4", c.blind_code, "70.00 unchanged"]]
    flashed = confirm(client, world.event, second)
    assert "Imported 3 rows: 0 scores added, 1 replaced, 2 unchanged." in flashed
    assert marks() == {a.id: D(90), b.id: D(81), c.id: D(70)}
    mark_a = db.session.scalar(sa.select(ImportedMark).where(ImportedMark.entry_id == a.id))
    mark_b = db.session.scalar(sa.select(ImportedMark).where(ImportedMark.entry_id == b.id))
    assert (mark_a.batch_id, mark_b.batch_id) == (second, first)
    replaced = audits("mark.import")[3:]
    assert len(replaced) == 1  # unchanged rows leave no entry
    assert replaced[0].subject_id == str(a.id)
    assert json.loads(replaced[0].before) == {"source": "import", "marks": {"T1": "88.50"}}
    assert json.loads(replaced[0].after) == {"source": "import", "marks": {"T1": "90.00"},
                                             "batch": second}
    assert [json.loads(e.after) for e in audits("score_import.confirm")] == [{"rows": 3}] * 2


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
    chief = world.people.chief
    service.confirm(chief, service.stage_upload(chief, world.event, "a.xlsx",
                                                by_blind(world, 80, 81)))
    db.session.commit()
    figures = []
    for content in (by_blind(world, 80), by_blind(world, 85, 81, 70)):
        header, rows = service.read_sheet(content)
        db.session.expire_all()
        with statements() as seen:
            plan = service.validate(world.event, header, rows)
        assert plan.ok, plan.errors
        figures.append(len(seen))
    assert figures[0] == figures[1], figures


# Racing confirmations (PostgreSQL: row locks across connections)


def race(app, user_id: int, staged_ids: list[int]) -> list[str]:
    """Confirm each staged file at once, each in its own thread, app context and session."""
    barrier = threading.Barrier(len(staged_ids))

    def attempt(staged_id: int) -> str:
        with app.app_context():
            try:
                actor = db.session.get(User, user_id)
                staged = db.session.get(ScoreImport, staged_id)
                _ = (actor.grants, staged.event.competition.organiser, staged.content)
                db.session.commit()  # start the race with no transaction open
                barrier.wait(timeout=30)
                try:
                    service.confirm(actor, staged)
                except service.AlreadyImported:
                    db.session.rollback()
                    return "already"
                db.session.commit()
                return "imported"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(staged_ids)) as pool:
        return list(pool.map(attempt, staged_ids))


@pytest.fixture
def pg_world(backend, request):
    if backend == "sqlite":
        pytest.skip("needs row locks across connections")
    return request.getfixturevalue("world")


def test_a_double_click_imports_once(app, pg_world):
    chief = pg_world.people.chief
    staged = service.stage_upload(chief, pg_world.event, "a.xlsx", by_blind(pg_world, 80, 81))
    db.session.commit()
    assert sorted(race(app, chief.id, [staged.id] * 4)) == ["already"] * 3 + ["imported"]
    assert len(marks()) == 2 and len(audits("mark.import")) == 2
    assert len(audits("score_import.confirm")) == 1


def test_two_files_confirmed_at_once_queue_and_the_second_replaces(app, pg_world):
    chief, organiser = pg_world.people.chief, pg_world.people.organiser
    first = service.stage_upload(chief, pg_world.event, "a.xlsx", by_blind(pg_world, 80))
    second = service.stage_upload(organiser, pg_world.event, "b.xlsx", by_blind(pg_world, 90))
    db.session.commit()
    admin = pg_world.people.admin  # may confirm anyone's staged file
    assert race(app, admin.id, [first.id, second.id]) == ["imported", "imported"]
    (value,) = marks().values()
    first_audit, second_audit = audits("mark.import")
    assert first_audit.before is None
    assert json.loads(second_audit.before)["marks"]["T1"] == json.loads(
        first_audit.after)["marks"]["T1"]
    assert json.loads(second_audit.after)["marks"]["T1"] == f"{value:.2f}"


# Who may import


@pytest.mark.parametrize("role, status", [
    ("anonymous", 302), ("worker", 403), ("judge", 403), ("other_organiser", 403),
    ("chief", 200), ("organiser", 200), ("admin", 200)])
def test_the_import_pages_are_for_the_chief_judge_and_the_organisers(world, as_role, role,
                                                                     status):
    client = as_role(role)
    assert client.get(base(world.event)).status_code == status
    assert client.get(f"{base(world.event)}/template.xlsx").status_code == status


@pytest.mark.parametrize("role", ["worker", "judge", "other_organiser"])
def test_others_cannot_upload_see_or_confirm_a_staged_file(world, client, login_as, role):
    login_as(world.people.chief)
    staged_id = upload_ok(client, world.event, by_blind(world, 80))
    client.post("/accounts/logout")
    login_as(getattr(world.people, role))
    assert upload(client, world.event, by_blind(world, 80)).status_code == 403
    assert client.get(f"{base(world.event)}/{staged_id}").status_code == 403
    assert client.post(f"{base(world.event)}/{staged_id}/confirm").status_code == 403
    assert marks() == {} and count(ScoreImport) == 1


def test_a_staged_file_belongs_to_its_uploader_and_its_event(world, client, login_as):
    login_as(world.people.chief)
    staged_id = upload_ok(client, world.event, by_blind(world, 80))
    assert client.get(f"{base(world.other_event)}/{staged_id}").status_code in (403, 404)
    client.post("/accounts/logout")
    login_as(world.people.organiser)
    assert client.get(f"{base(world.event)}/{staged_id}").status_code == 403


def test_the_services_refuse_a_judge(world):
    with pytest.raises(PermissionDenied):
        service.stage_upload(world.people.judge, world.event, "a.xlsx", by_blind(world, 80))
    staged = service.stage_upload(world.people.chief, world.event, "a.xlsx",
                                  by_blind(world, 80))
    with pytest.raises(PermissionDenied):
        service.confirm(world.people.judge, staged)
    db.session.rollback()


# When


@pytest.mark.parametrize("stage, message", [
    (EventStage.DRAWN, "Marking has not started for this event"),
    (EventStage.SIGNED_OFF, "The event is signed off; the chief judge must reopen it for "
                            "correction first."),
])
def test_no_import_unless_the_event_is_being_marked(world, as_role, stage, message):
    world.event.stage = stage
    db.session.commit()
    client = as_role("chief")
    page = html.unescape(client.get(base(world.event)).get_data(as_text=True))
    assert 'data-testid="score-import-closed"' in page and message in page
    assert upload(client, world.event, by_blind(world, 80)).status_code == 200
    assert count(ScoreImport) == 0
    with pytest.raises(service.MarkingNotOpen):
        service.stage_upload(world.people.chief, world.event, "a.xlsx", by_blind(world, 80))


def test_a_sign_off_between_upload_and_confirm_imports_nothing(world, as_role):
    client = as_role("chief")
    staged_id = upload_ok(client, world.event, by_blind(world, 80))
    world.event.stage = EventStage.SIGNED_OFF
    db.session.commit()
    assert 'data-testid="import-confirm"' not in preview_page(client, world.event, staged_id)
    flashed = confirm(client, world.event, staged_id)
    assert "The event is signed off; the chief judge must reopen it" in flashed
    assert marks() == {}
    assert db.session.get(ScoreImport, staged_id).imported_at is None


# Nothing on the preview reveals who is behind a code


def _visible(page: str) -> str:
    return re.sub(r"<input[^>]*>", "", page)  # tokens are random text, not page content


def _personal(world) -> list[str]:
    return [UNIT, *(w.name for w in world.workers), *(w.id_number for w in world.workers),
            *(w.phone for w in world.workers)]


def test_a_blind_code_preview_shows_no_names_units_or_entry_numbers(world, as_role):
    client = as_role("chief")
    staged_id = upload_ok(client, world.event, by_blind(world, 80, 81, 82))
    page = _visible(preview_page(client, world.event, staged_id))
    assert world.entries[0].blind_code in page
    for secret in _personal(world):
        assert secret not in page, secret
    for entry in world.entries:
        assert not re.search(rf"(?<![\w.]){entry.entry_number}(?![\w.])", page), entry.entry_number


def test_an_entry_number_preview_shows_no_names_units_or_blind_codes(world, as_role):
    client = as_role("organiser")
    content = xlsx(["参赛号", "T1"], [[e.entry_number, 80] for e in world.entries[:3]])
    staged_id = upload_ok(client, world.event, content)
    page = _visible(preview_page(client, world.event, staged_id))
    assert world.entries[0].entry_number in page
    for secret in _personal(world) + [e.blind_code for e in world.entries]:
        assert secret not in page, secret
    with_errors = xlsx(["参赛号", "T1"], [[world.entries[3].entry_number, 80], ["999", 80]])
    errors_page = _visible(preview_page(client, world.event,
                                        upload_ok(client, world.event, with_errors)))
    assert len(error_table(errors_page)) == 2
    for secret in _personal(world) + [e.blind_code for e in world.entries]:
        assert secret not in errors_page, secret


# Parsing cells


@pytest.mark.parametrize("cell, expected", [
    (88.5, D("88.5")), (0.1, D("0.1")), (92, D(92)), (" 75.50 ", D("75.50")), ("-0", D(0)),
])
def test_cells_parse_to_exact_decimals(cell, expected):
    parsed = service.parse_score(cell)
    assert parsed == expected and isinstance(parsed, D) and str(parsed) == str(expected)


@pytest.mark.parametrize("cell", [True, float("nan"), float("inf"), "NaN", "Infinity", "八十",
                                  "88,5", ""])
def test_cells_that_are_no_numbers_are_refused(cell):
    with pytest.raises(ValueError):
        service.parse_score(cell)
