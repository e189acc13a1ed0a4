"""The chief judge's pages: who may see them, what they never show, sign-off and reopening,
returned sheets, corrections, time used, penalties, and the mark history (DESIGN.md §3–§5)."""

import html
import re
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from competitions.contests.models import EventStage
from competitions.extensions import db
from competitions.judging import marking, panels, score_import, signoff
from competitions.judging.models import (
    ImportedMark,
    Mark,
    Penalty,
    ScoreSheet,
    SheetStatus,
    SignOff,
    Timing,
)
from competitions.judging.views import signoff as _routes  # noqa: F401  (routes)
from competitions.notifications.models import Notification
from tests.factories import MarkingSetup, make_admin, make_user, make_worker, make_xlsx

GIVE_A_REASON = "Reason: Give a reason; it is kept in the record."
SIGNED_OFF = ("The event is signed off; marks can only be corrected after the chief judge "
              "reopens it.")


@pytest.fixture
def setup(tree):
    setup = MarkingSetup(tree)
    db.session.commit()
    return setup


@pytest.fixture
def chief(setup, client, login_as):
    """The test client, in English, signed in as the event's chief judge."""
    client.set_cookie("lang", "en")
    return login_as(setup.chief)


# Filling the event


def submit_all(setup, b1_marks=(D(50), D(51), D(52))):
    """Every judge submits every sheet: A1 = 30, B1 from `b1_marks` by seat order."""
    cells = {(c.blind_code, c.criterion.id): c for c in panels.panel_cells(setup.event)}
    for judge in (setup.conflicted, setup.judge2, setup.judge3, setup.reserve):
        for work in marking.judge_work(judge, setup.event):
            values = {c.id: D(30) if c.id == setup.a1.id else
                      b1_marks[cells[(work.blind_code, c.id)].panel.index(judge.id)]
                      for c in work.criteria}
            marking.save_sheet(judge, setup.event, work.blind_code, values,
                               version=work.version, submit=True)
    db.session.commit()


def import_theory(setup, score="88.5"):
    """T1 for every entry, through the exam-system import the chief judge would use."""
    content = make_xlsx(["赛位号", "T1"], [[entry.blind_code, score] for entry in setup.entries])
    staged = score_import.stage_upload(setup.chief, setup.event, "theory.xlsx", content)
    score_import.confirm(setup.chief, staged)
    db.session.commit()


def complete(setup, **kwargs):
    submit_all(setup, **kwargs)
    import_theory(setup)


# Pages and posts


def base(setup) -> str:
    return f"/judging/events/{setup.event.id}"


def entry_url(setup, index=0, suffix="") -> str:
    return f"{base(setup)}/entries/{setup.code(index)}{suffix}"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post(client, url, **data) -> str:
    """Post a form (field names with `__` for `-`); the page redirected to, as text."""
    response = client.post(url, data={k.replace("__", "-"): v for k, v in data.items()})
    assert response.status_code == 302, response.status_code
    return text(client.get(response.headers["Location"]))


def sheet_of(setup, judge, index) -> ScoreSheet:
    db.session.expire_all()
    return db.session.scalar(sa.select(ScoreSheet).where(
        ScoreSheet.judge_id == judge.id, ScoreSheet.entry_id == setup.entries[index].id))


def stage(setup) -> EventStage:
    db.session.expire_all()
    return setup.event.stage


# Who may see the pages


def test_the_chief_judge_sees_and_acts_on_every_page(setup, chief):
    overview = text(chief.get(f"{base(setup)}/overview"))
    assert 'data-testid="sign-off-form"' in overview and 'data-testid="read-only"' not in overview
    assert all(setup.code(i) in overview for i in range(4))
    page = text(chief.get(entry_url(setup)))
    assert f'action="{entry_url(setup, suffix="/time")}"' in page
    assert chief.get(entry_url(setup, suffix="/history")).status_code == 200


def test_an_administrator_reads_but_has_no_forms_and_cannot_post(setup, client, login_as):
    submit_all(setup)
    login_as(make_admin())
    db.session.commit()
    overview = text(client.get(f"{base(setup)}/overview"))
    assert 'data-testid="read-only"' in overview and "sign-off-form" not in overview
    page = text(client.get(entry_url(setup)))
    assert 'data-testid="read-only"' in page and "<form method=\"post\" action=\"/judging" \
        not in page
    assert client.get(entry_url(setup, suffix="/history")).status_code == 200
    assert client.post(f"{base(setup)}/sign-off").status_code == 403
    assert client.post(entry_url(setup, suffix="/time"),
                       data={"time-minutes": "5"}).status_code == 403
    sheet = sheet_of(setup, setup.judge2, 0)
    assert client.post(f"{base(setup)}/sheets/{sheet.id}/return",
                       data={f"return{sheet.id}-reason": "x"}).status_code == 403
    assert sheet_of(setup, setup.judge2, 0).is_submitted


@pytest.mark.parametrize("who", ["organiser", "judge", "worker", "other_chief"])
def test_everyone_else_is_refused(setup, tree, client, login_as, who):
    if who == "worker":
        user = make_user("worker_user")
        make_worker(tree.firm, user=user, name="周工人")
    elif who == "other_chief":
        user = MarkingSetup(tree).chief
    else:
        user = {"organiser": setup.organiser, "judge": setup.judge2}[who]
    db.session.commit()
    login_as(user)
    for url in (f"{base(setup)}/overview", entry_url(setup), entry_url(setup, suffix="/history")):
        assert client.get(url).status_code == 403, url
    assert client.post(f"{base(setup)}/sign-off").status_code == 403
    assert client.post(entry_url(setup, suffix="/penalties"), data={
        "penalty-component_id": setup.scheme.components[1].id, "penalty-points": "5",
        "penalty-reason": "x"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Penalty.id))) == 0


# What the pages never show


def test_the_pages_never_show_who_is_behind_a_blind_code(setup, chief):
    submit_all(setup)
    post(chief, entry_url(setup, suffix="/time"), time__minutes="58:30")
    post(chief, entry_url(setup, suffix="/penalties"),
         penalty__component_id=setup.scheme.components[1].id, penalty__points="5",
         penalty__reason="违规操作")
    pages = [text(chief.get(url)) for url in (
        f"{base(setup)}/overview", *(entry_url(setup, i) for i in range(4)),
        entry_url(setup, 0, "/history"))]
    for page in pages:
        for entry, worker in zip(setup.entries, setup.workers, strict=True):
            for secret in (worker.name, worker.id_number, worker.phone, worker.employer.name,
                           entry.unit.name, entry.checkin_code):
                assert secret not in page, secret
            assert not re.search(rf"(?<![\w.:-]){entry.entry_number}(?![\w.:-])", page), \
                entry.entry_number
    # the judge kept off entrant 0 is listed with the reason, never with the unit
    assert "kept off: works in the entrant's unit" in pages[1]


# Completeness, spread and sign-off


def test_sign_off_is_refused_while_marks_are_missing_and_nothing_changes(setup, chief):
    overview = text(chief.get(f"{base(setup)}/overview"))
    assert 'data-testid="count-missing">20<' in overview
    page = post(chief, f"{base(setup)}/sign-off")
    assert "20 marks are still missing." in page
    assert stage(setup) is EventStage.SCORING
    assert db.session.scalar(sa.select(sa.func.count(SignOff.id))) == 0


def test_a_complete_event_is_signed_off_and_shows_who_signed(setup, chief):
    complete(setup)
    overview = text(chief.get(f"{base(setup)}/overview"))
    assert 'data-testid="count-missing">0<' in overview
    assert 'data-testid="count-flagged">0<' in overview
    cell = re.search(rf'data-testid="cell-{setup.code(3)}-B1">(.*?)</td>', overview, re.S)[1]
    assert "3/3" in cell and "51.00" in cell and "spread 3.33%" in cell
    page = post(chief, f"{base(setup)}/sign-off")
    assert "The event is signed off" in page
    assert f"Signed off by {setup.chief.display_name} ({setup.chief.username})" in page
    assert 'data-testid="reopen-form"' in page and 'data-testid="sign-off-form"' not in page
    assert stage(setup) is EventStage.SIGNED_OFF
    assert signoff.current_sign_off(setup.event).signed_by_id == setup.chief.id


def test_a_wide_panel_is_listed_for_discussion_with_each_judges_mark(setup, chief):
    submit_all(setup, b1_marks=(D(10), D(50), D(55)))  # 75 % of the maximum apart
    overview = text(chief.get(f"{base(setup)}/overview"))
    assert 'data-testid="count-flagged">4<' in overview
    assert re.search(rf'<td class="flagged" data-testid="cell-{setup.code(2)}-B1">', overview)
    assert not re.search(rf'<td class="flagged" data-testid="cell-{setup.code(2)}-A1">',
                         overview)
    item = re.search(rf'data-testid="flagged-{setup.code(2)}-B1">(.*?)</li>', overview, re.S)[1]
    assert "spread 75.00%" in item
    for judge, mark in ((setup.conflicted, "10.00"), (setup.judge2, "50.00"),
                        (setup.judge3, "55.00")):
        assert f"{judge.display_name} {mark}" in item


def test_staffing_gaps_name_the_judges_kept_off_and_why_but_never_the_unit(tree, client,
                                                                           login_as):
    setup = MarkingSetup(tree, start=False)
    panels.set_panel(setup.organiser, setup.b1, [setup.conflicted, setup.judge2, setup.judge3])
    db.session.commit()
    client.set_cookie("lang", "en")
    login_as(setup.chief)
    overview = text(client.get(f"{base(setup)}/overview"))
    assert 'data-testid="count-gaps">2<' in overview
    assert "sign-off-form" not in overview and "Marking has not started yet" in overview
    own_unit = re.search(rf'data-testid="gap-{setup.code(0)}-B1">(.*?)</li>', overview, re.S)[1]
    assert "2 of 3 judges" in own_unit
    assert f"{setup.conflicted.display_name} (works in the entrant's unit)" in own_unit
    subsidiary = re.search(rf'data-testid="gap-{setup.code(1)}-B1">(.*?)</li>', overview,
                           re.S)[1]
    assert "works in the entrant's enterprise group" in subsidiary
    assert tree.firm.name not in overview and setup.steel_rolling.name not in overview


# Returning and correcting


def test_a_returned_sheet_goes_back_to_its_judge_with_the_reason(setup, chief):
    marking.save_sheet(setup.judge2, setup.event, setup.code(0),
                       {setup.a1.id: D(10), setup.b1.id: D(40)}, version=0, submit=True)
    db.session.commit()
    sheet = sheet_of(setup, setup.judge2, 0)
    url = f"{base(setup)}/sheets/{sheet.id}/return"
    assert GIVE_A_REASON in post(chief, url, **{f"return{sheet.id}__reason": " "})
    assert sheet_of(setup, setup.judge2, 0).is_submitted
    page = post(chief, url, **{f"return{sheet.id}__reason": "B1 与其他裁判差距过大，请复核"})
    assert f"The sheet is back with {setup.judge2.display_name}" in page
    assert sheet_of(setup, setup.judge2, 0).status is SheetStatus.DRAFT
    notice = db.session.scalar(sa.select(Notification).where(
        Notification.user_id == setup.judge2.id, Notification.kind == "sheet_returned"))
    assert notice is not None
    assert notice.params["reason"] == "B1 与其他裁判差距过大，请复核"
    assert notice.params["blind_code"] == setup.code(0)


def test_a_mark_is_corrected_only_after_reopening_and_the_history_keeps_the_reason(setup,
                                                                                  chief):
    complete(setup)
    post(chief, f"{base(setup)}/sign-off")
    sheet = sheet_of(setup, setup.judge2, 3)
    url = f"{base(setup)}/sheets/{sheet.id}/criteria/{setup.b1.id}"
    field = f"mark{sheet.id}-{setup.b1.id}__"
    correction = {f"{field}value": "45", f"{field}reason": "复核后更正"}

    assert SIGNED_OFF in post(chief, url, **correction)
    assert db.session.scalar(sa.select(Mark.value).where(
        Mark.sheet_id == sheet.id, Mark.criterion_id == setup.b1.id)) == D(51)
    page = text(chief.get(entry_url(setup, 3)))
    assert 'data-testid="reopen-first"' in page and f'action="{url}"' not in page

    assert GIVE_A_REASON in post(chief, f"{base(setup)}/reopen", reopen__reason="")
    assert stage(setup) is EventStage.SIGNED_OFF
    page = post(chief, f"{base(setup)}/reopen", reopen__reason="仲裁要求复核 B1")
    assert stage(setup) is EventStage.SCORING and 'data-testid="sign-off-form"' in page

    assert "New mark: Enter a mark from 0 to 60." in post(
        chief, url, **{f"{field}value": "61", f"{field}reason": "复核后更正"})
    assert "Mark B1 corrected." in post(chief, url, **correction)
    db.session.expire_all()
    assert db.session.scalar(sa.select(Mark.value).where(
        Mark.sheet_id == sheet.id, Mark.criterion_id == setup.b1.id)) == D(45)

    history = text(chief.get(entry_url(setup, 3, "/history")))
    row = re.search(r'data-testid="history-mark.correct">(.*?)</tr>', history, re.S)[1]
    assert setup.chief.username in row and "Mark corrected" in row
    assert "B1: 51.00 → 45.00" in row and "复核后更正" in row
    assert f"sheet of {setup.judge2.username}" in row
    assert history.index("Sheet submitted") < history.index("Score imported") \
        < history.index("Mark corrected")


def test_an_imported_score_is_corrected_with_a_reason(setup, chief):
    complete(setup)
    url = entry_url(setup, 1, f"/imported/{setup.t1.id}")
    field = f"imported{setup.t1.id}__"
    assert GIVE_A_REASON in post(chief, url, **{f"{field}value": "90", f"{field}reason": ""})
    assert "Imported score T1 corrected." in post(
        chief, url, **{f"{field}value": "90", f"{field}reason": "阅卷复核"})
    assert db.session.scalar(sa.select(ImportedMark.value).where(
        ImportedMark.entry_id == setup.entries[1].id)) == D(90)
    history = text(chief.get(entry_url(setup, 1, "/history")))
    assert "T1: 88.50 → 90.00" in history and "阅卷复核" in history


# Time used and penalties


@pytest.mark.parametrize(("minutes", "seconds", "stored"), [
    ("58", "30", 3510), ("58:30", "", 3510), ("125", "", 7500), ("", "45", 45),
    ("7：05", "", 425)])
def test_time_used_is_typed_as_minutes_and_seconds_or_mm_ss(setup, chief, minutes, seconds,
                                                              stored):
    page = post(chief, entry_url(setup, suffix="/time"), time__minutes=minutes,
                time__seconds=seconds)
    assert f"Time used recorded: {stored // 60}:{stored % 60:02d}." in page
    assert db.session.scalar(sa.select(Timing.seconds)) == stored
    assert f'data-testid="time-used">{stored // 60}:{stored % 60:02d}' in page


@pytest.mark.parametrize(("minutes", "seconds", "message"), [
    ("", "", "Minutes: Enter the time used."),
    ("abc", "", "Minutes: Type whole minutes"),
    ("-5", "", "Minutes: Type whole minutes"),
    ("58", "75", "Seconds: Seconds are a whole number from 0 to 59."),
    ("58:75", "", "Minutes: Type whole minutes"),
    ("58:30", "10", "Seconds: Leave the seconds empty"),
    ("99999", "", "Minutes: At most 6000 minutes."),
])
def test_bad_time_is_refused_naming_the_field(setup, chief, minutes, seconds, message):
    page = post(chief, entry_url(setup, suffix="/time"), time__minutes=minutes,
                time__seconds=seconds)
    assert message in page
    assert db.session.scalar(sa.select(sa.func.count(Timing.id))) == 0


def test_penalties_are_added_and_withdrawn_with_reasons(setup, chief):
    practical = setup.scheme.components[1]
    url = entry_url(setup, suffix="/penalties")
    good = {"penalty__component_id": practical.id, "penalty__points": "5",
            "penalty__reason": "违规操作"}
    for points, message in (("abc", "Points deducted: Not a valid decimal value"),
                            ("150", "Points deducted: A penalty is more than 0 and at most "
                                    "100 points."),
                            ("NaN", "Points deducted: Enter a number.")):
        assert message in post(chief, url, **{**good, "penalty__points": points})
    assert GIVE_A_REASON in post(chief, url, **{**good, "penalty__reason": ""})
    assert db.session.scalar(sa.select(sa.func.count(Penalty.id))) == 0

    assert "Penalty added." in post(chief, url, **good)
    penalty = db.session.scalar(sa.select(Penalty))
    assert (penalty.points, penalty.component_id, penalty.reason) == (D(5), practical.id,
                                                                      "违规操作")
    overview = text(chief.get(f"{base(setup)}/overview"))
    assert "实操 −5.00" in overview

    withdraw = f"{base(setup)}/penalties/{penalty.id}/withdraw"
    assert GIVE_A_REASON in post(chief, withdraw, **{f"withdraw{penalty.id}__reason": ""})
    assert "Penalty withdrawn." in post(chief, withdraw,
                                        **{f"withdraw{penalty.id}__reason": "录入错误"})
    db.session.expire_all()
    assert penalty.withdrawn_at is not None
    assert "实操 −5.00" not in text(chief.get(f"{base(setup)}/overview"))
    history = text(chief.get(entry_url(setup, suffix="/history")))
    assert "Penalty added" in history and "Penalty withdrawn" in history
    assert history.count("实操: −5.00 points") == 2 and "录入错误" in history


def test_after_sign_off_time_and_penalties_wait_for_a_reopening(setup, chief):
    complete(setup)
    post(chief, f"{base(setup)}/sign-off")
    assert SIGNED_OFF in post(chief, entry_url(setup, suffix="/time"), time__minutes="10")
    assert SIGNED_OFF in post(chief, entry_url(setup, suffix="/penalties"),
                              penalty__component_id=setup.scheme.components[1].id,
                              penalty__points="5", penalty__reason="违规")
    assert db.session.scalar(sa.select(sa.func.count(Timing.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Penalty.id))) == 0


# Another event's data


def test_ids_of_another_events_data_are_not_found(setup, tree, chief):
    other = MarkingSetup(tree)
    marking.save_sheet(other.judge2, other.event, other.code(0),
                       {other.a1.id: D(10), other.b1.id: D(40)}, version=0, submit=True)
    foreign_penalty = signoff.add_penalty(other.chief, other.event, other.entries[0],
                                          other.scheme.components[1], D(5), "违规")
    db.session.commit()
    foreign_sheet = sheet_of(other, other.judge2, 0)
    reason = {"reason": "x", "value": "1"}

    def refused(url, prefix):
        data = {f"{prefix}-{name}": value for name, value in reason.items()}
        return chief.post(url, data=data).status_code

    assert refused(f"{base(setup)}/sheets/{foreign_sheet.id}/return",
                   f"return{foreign_sheet.id}") == 404
    assert refused(f"{base(setup)}/sheets/{foreign_sheet.id}/criteria/{setup.b1.id}",
                   f"mark{foreign_sheet.id}-{setup.b1.id}") == 404
    assert refused(f"{base(setup)}/penalties/{foreign_penalty.id}/withdraw",
                   f"withdraw{foreign_penalty.id}") == 404
    assert refused(entry_url(setup, 0, f"/imported/{other.t1.id}"),
                   f"imported{other.t1.id}") == 404
    # a criterion of the wrong kind, and a sheet of this event with another event's criterion
    assert refused(entry_url(setup, 0, f"/imported/{setup.b1.id}"), f"imported{setup.b1.id}") \
        == 404
    marking.save_sheet(setup.judge2, setup.event, setup.code(0),
                       {setup.a1.id: D(10), setup.b1.id: D(40)}, version=0, submit=True)
    db.session.commit()
    own_sheet = sheet_of(setup, setup.judge2, 0)
    assert refused(f"{base(setup)}/sheets/{own_sheet.id}/criteria/{other.b1.id}",
                   f"mark{own_sheet.id}-{other.b1.id}") == 404
    for url in (f"{base(setup)}/entries/{other.code(0)}", f"{base(setup)}/entries/NOPE",
                f"{base(setup)}/entries/{other.code(0)}/history"):
        assert chief.get(url).status_code == 404, url
    assert chief.post(f"{base(setup)}/entries/{other.code(0)}/time",
                      data={"time-minutes": "5"}).status_code == 404
    db.session.expire_all()
    assert foreign_sheet.is_submitted and foreign_penalty.withdrawn_at is None
    assert db.session.scalar(sa.select(sa.func.count(Timing.id))) == 0
