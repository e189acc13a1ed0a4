"""The demo data: a realistic tree, valid people, working logins, a verifiable audit chain."""


from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from competitions import demo
from competitions.accounts.models import Role, User
from competitions.audit.services import verify_chain
from competitions.extensions import db
from competitions.organisations.models import Organisation, OrgKind, Tier
from competitions.promotion.levels import SkillLevel
from competitions.registration.idcard import parse_id_number
from competitions.registration.models import Worker
from tests.conftest import login

LEVEL_DIGIT = {SkillLevel.LEVEL_5: "5", SkillLevel.LEVEL_4: "4", SkillLevel.LEVEL_3: "3",
               SkillLevel.LEVEL_2: "2", SkillLevel.LEVEL_1: "1"}


@pytest.fixture
def seeded(demo_data):
    """The demo data (conftest seeds it once, with cheap password hashing, and copies it)."""


def _org(name) -> Organisation:
    return db.session.scalar(sa.select(Organisation).where(Organisation.name == name))


def test_the_demo_workers_are_the_same_on_every_run():
    assert demo.worker_specs() == demo.worker_specs()


def test_every_demo_worker_has_a_valid_id_number_from_their_city(seeded):
    workers = db.session.scalars(sa.select(Worker)).all()
    assert len(workers) == 60
    assert len({w.id_number for w in workers}) == 60
    for worker in workers:
        identity = parse_id_number(worker.id_number)
        assert (identity.birth_date, identity.sex) == (worker.birth_date, worker.sex)
        assert 1966 <= worker.birth_date.year <= 2004
        city = "南京" if worker.employer.is_within(_org("南京市总工会")) else "苏州"
        assert worker.id_number[:6] in demo.REGIONS[city]


def test_the_demo_tree_has_the_stated_shape(seeded):
    national = db.session.scalar(sa.select(Organisation).where(Organisation.parent_id.is_(None)))
    assert (national.name, national.tier) == ("中华全国总工会", Tier.NATIONAL)
    province = _org("江苏省总工会")
    assert (province.parent, province.tier) == (national, Tier.PROVINCIAL)
    bureau = _org("江苏省人力资源和社会保障厅")
    assert (bureau.parent, bureau.kind) == (province, OrgKind.HR_BUREAU)
    for city in ("南京市总工会", "苏州市总工会"):
        assert (_org(city).parent, _org(city).tier) == (province, Tier.CITY)
    assert _org("南京钢铁集团有限公司").parent == _org("南京市总工会")
    assert _org("苏州职业技术学院").kind is OrgKind.SCHOOL
    assert _org("南京市江宁区总工会").tier is Tier.DISTRICT
    for org in db.session.scalars(sa.select(Organisation)):
        assert org.path == (org.parent.path if org.parent else "/") + f"{org.id}/"
        assert org.parent is None or org.tier <= org.parent.tier


def test_every_demo_worker_works_for_an_employer_and_levels_carry_certificates(seeded):
    for worker in db.session.scalars(sa.select(Worker)):
        assert worker.employer.kind.employs_workers
        assert worker.occupation is not None
        if worker.skill_level is None:
            assert worker.skill_certificate_no is None
        else:
            assert len(worker.skill_certificate_no) == 22
            assert worker.skill_certificate_no[16] == LEVEL_DIGIT[worker.skill_level]


def test_the_demo_employing_units_record_a_plausible_profile(seeded):
    from competitions.organisations.models import Ownership

    employers = db.session.scalars(sa.select(Organisation).where(
        Organisation.kind.in_([OrgKind.ENTERPRISE, OrgKind.SCHOOL]))).all()
    assert employers and all(org.industry and org.ownership for org in employers)
    without = [org.name for org in employers if org.workforce is None]
    assert without == ["苏州工业园区智能制造有限公司"]
    assert all(org.workforce_year == date.today().year - 1
               for org in employers if org.workforce is not None)
    assert {Ownership.PRIVATE, Ownership.FOREIGN, Ownership.STATE} <= {
        org.ownership for org in employers}
    unions = db.session.scalars(sa.select(Organisation).where(
        Organisation.kind == OrgKind.UNION)).all()
    assert all(org.workforce is None and org.ownership is None for org in unions)


def test_the_demo_enterprises_recorded_drills_some_with_named_winners(seeded, client):
    from competitions.contests.models import Drill
    from competitions.promotion.record import worker_record

    drills = {d.organisation.name: d for d in db.session.scalars(sa.select(Drill))}
    assert set(drills) == {"南京钢铁集团有限公司", "南京汽车集团有限公司", "苏州电气设备有限公司"}
    welding = drills["南京钢铁集团有限公司"]
    assert len(welding.places) == 3 and welding.participants == 36
    assert drills["苏州电气设备有限公司"].places == []
    assert all(d.held_on <= date.today() for d in drills.values())
    winner = db.session.get(Worker, welding.places[0].worker_id)
    assert winner.employer.name == "南京钢铁集团有限公司"
    assert [p.name for p in worker_record(winner).drills] == [welding.name]
    login(client, "nisco_organiser", demo.DEMO_PASSWORD)
    page = client.get(f"/organisations/{welding.organisation_id}").get_data(as_text=True)
    assert welding.name in page
    assert demo.seed(echo=lambda *args: None)["drills"] == 0


def test_the_demo_roles_are_granted_where_stated(seeded):
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    assert users["admin"].is_admin
    assert users["nj_organiser"].manages(_org("南京钢铁集团有限公司"))
    assert not users["nj_organiser"].manages(_org("苏州电气设备有限公司"))
    assert users["js_hr"].has_role(Role.HR_OFFICER)
    assert {g.role for g in users["judge01"].grants} == {Role.CHIEF_JUDGE}  # two events
    with_accounts = db.session.scalars(sa.select(Worker).where(Worker.user_id.is_not(None))).all()
    assert len(with_accounts) == demo.WORKER_LOGINS


def test_the_demo_audit_chain_verifies(seeded):
    checked, problem = verify_chain()
    assert problem is None
    assert checked > 60


def test_every_demo_account_logs_in_with_the_demo_password(seeded, app):
    for username in [account[0] for account in demo.ACCOUNTS] + ["worker01", "worker10"]:
        client = app.test_client()
        assert login(client, username, demo.DEMO_PASSWORD).status_code == 302, username
        assert client.get("/accounts/dashboard").status_code == 200, username


def test_the_readme_lists_the_demo_logins_the_first_run_prints():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Demo logins")[1].split("\n## ")[0]
    rows = [line.strip("|").split(" | ") for line in table.splitlines()
            if line.startswith("| `")]
    listed = [(user.strip().replace("`", ""), who.strip()) for user, who in rows]
    printed = []
    demo.print_logins(printed.append)
    assert listed == demo.logins()
    assert printed[1:] == [f"  {user:<16} {who}" for user, who in listed]
    assert demo.DEMO_PASSWORD in printed[0] and f"`{demo.DEMO_PASSWORD}`" in table


def test_a_demo_worker_sees_when_and_where_to_check_in(seeded, client):
    from competitions.demo.timeline import NANJING_VENUE
    login(client, "worker01", demo.DEMO_PASSWORD)
    page = client.get("/accounts/dashboard").get_data(as_text=True)
    task = page.split('data-testid="task-my_checkin"')[1].split("</li>")[0]
    assert "检录号 J" in task and NANJING_VENUE in task and "07:30" in task


def test_the_demo_organiser_sees_their_city_on_the_dashboard(seeded, client):
    login(client, "nj_organiser", demo.DEMO_PASSWORD)
    page = client.get("/accounts/dashboard").get_data(as_text=True)
    assert "南京市总工会" in page
    assert "苏州市总工会" not in page


def test_a_demo_worker_sees_their_employer_on_the_dashboard(seeded, client):
    worker = db.session.scalar(sa.select(Worker).join(Worker.user)
                               .where(User.username == "worker01"))
    login(client, "worker01", demo.DEMO_PASSWORD)
    assert worker.employer.name in client.get("/accounts/dashboard").get_data(as_text=True)


def test_the_demo_city_competition_feeds_the_provincial_one_and_has_a_drawn_event(seeded):
    from competitions.contests.models import Competition, CompetitionState, EventStage
    from competitions.demo.contests import NANJING, PROVINCIAL, SUZHOU
    by_name = {c.name: c for c in db.session.scalars(sa.select(Competition))}
    city, provincial, open_city = by_name[NANJING], by_name[PROVINCIAL], by_name[SUZHOU]
    assert city.feeds is provincial and city.tier < provincial.tier
    assert city.state is CompetitionState.REVIEW
    assert open_city.state is CompetitionState.REGISTRATION
    assert [e.stage for e in city.events] == [EventStage.SCORING, EventStage.OPEN]


def test_the_demo_entries_come_in_every_state_and_the_drawn_ones_are_coded(seeded):
    from competitions.contests.models import Competition, EventStage
    from competitions.demo.contests import NANJING
    from competitions.registration.models import Entry, EntryStatus
    city = db.session.scalar(sa.select(Competition).where(Competition.name == NANJING))
    drawn, open_event = city.events
    assert drawn.stage is EventStage.SCORING
    coded = db.session.scalars(sa.select(Entry).where(Entry.event_id == drawn.id)).all()
    assert coded and all(e.blind_code and e.checkin_code and e.entry_number for e in coded)
    states = set(db.session.scalars(sa.select(Entry.status).where(
        Entry.event_id == open_event.id)))
    assert states == set(EntryStatus)


def test_the_demo_encryption_officer_sees_the_blind_codes(seeded, client):
    from competitions.contests.models import Competition
    from competitions.demo.contests import ENCRYPTION_OFFICER, NANJING
    city = db.session.scalar(sa.select(Competition).where(Competition.name == NANJING))
    login(client, ENCRYPTION_OFFICER[0], demo.DEMO_PASSWORD)
    response = client.get(f"/registration/events/{city.events[0].id}/blind-codes")
    assert response.status_code == 200


def test_seeding_twice_adds_no_competition_or_entry(seeded):
    from competitions.contests.models import Competition
    from competitions.registration.models import Entry
    before = (db.session.scalar(sa.select(sa.func.count(Competition.id))),
              db.session.scalar(sa.select(sa.func.count(Entry.id))))
    created = demo.seed(echo=lambda *args: None)
    assert created["competitions"] == 0 and created["entries"] == 0
    assert before == (db.session.scalar(sa.select(sa.func.count(Competition.id))),
                      db.session.scalar(sa.select(sa.func.count(Entry.id))))


@pytest.mark.parametrize("username", ["worker07", "worker08", "worker09"])
def test_suzhou_demo_workers_can_register_themselves_in_the_open_competition(seeded, username):
    from competitions.contests.models import Competition
    from competitions.demo.contests import SUZHOU
    from competitions.registration import entries
    open_city = db.session.scalar(sa.select(Competition).where(Competition.name == SUZHOU))
    user = db.session.scalar(sa.select(User).where(User.username == username))
    entry = entries.register(user, open_city.events[0], [user.worker])
    assert entry.members[0].worker is user.worker


def test_the_demo_welding_event_is_being_marked_with_a_conflict_kept_out(seeded):
    from competitions.contests.models import Competition
    from competitions.demo.contests import NANJING
    from competitions.judging import panels, signoff

    city = db.session.scalar(sa.select(Competition).where(Competition.name == NANJING))
    welding = city.events[0]
    state = signoff.overview(welding)
    assert not state.complete and not state.gaps and state.flagged
    nisco = {e.id for e in panels.drawn_entries(welding)
             if any(m.worker.employer.name == "南京钢铁集团有限公司" for m in e.members)}
    judge02 = db.session.scalar(sa.select(User).where(User.username == "judge02"))
    assert nisco
    for cell in state.cells:
        if cell.criterion.code != "A1":  # judge02 sits on the judgement panels only
            assert (judge02.id in cell.panel) is (cell.entry_id not in nisco)


def test_last_years_demo_contest_is_final_end_to_end(seeded):
    from competitions.contests.models import Competition, CompetitionState, EventStage
    from competitions.demo.results import LAST_YEAR
    from competitions.judging.signoff import reconcile_marks
    from competitions.registration.models import Nomination
    from competitions.results.models import Appeal, AppealStatus, TitleAward, TitleState
    from competitions.results.services import published_results

    contest = db.session.scalar(sa.select(Competition).where(Competition.name == LAST_YEAR))
    welding = contest.events[0]
    assert contest.state is CompetitionState.FINAL and welding.stage is EventStage.FINAL
    results = published_results(welding)
    assert [r.awards for r in results[:4]] == [["gold"], ["silver"], ["bronze"], ["excellence"]]
    assert {a.status for a in db.session.scalars(sa.select(Appeal))} == {AppealStatus.DISMISSED}
    assert {t.state for t in db.session.scalars(sa.select(TitleAward))} == {
        TitleState.APPROVED, TitleState.PENDING}
    nominated = set(db.session.scalars(sa.select(Nomination.worker_id).where(
        Nomination.source_competition_id == contest.id)))
    top = {m.worker_id for r in results if r.rank <= contest.advance_top_n
           for m in r.entry.members}
    assert nominated == top and nominated
    assert reconcile_marks() == []


def test_last_years_demo_contest_has_certificates_a_demo_worker_downloads_and_verifies(
        seeded, client):
    from competitions.certificates.documents import verify_url
    from competitions.certificates.models import Certificate, CertificateStatus
    from competitions.demo.results import LAST_YEAR

    certs = db.session.scalars(sa.select(Certificate).join(Certificate.competition).where(
        sa.text("competitions.name = :name")).params(name=LAST_YEAR)).all()
    assert certs and {c.status for c in certs} == {CertificateStatus.VALID}
    assert all("-C-320100-" in c.serial for c in certs)
    assert {c.kind.value for c in certs} == {"award", "title"}
    bureau = _org("南京市人力资源和社会保障局")
    assert certs[0].issuer_ids == [_org("南京市总工会").id, bureau.id]
    holder = next(c for c in certs if c.worker.user_id)
    login(client, holder.worker.user.username, demo.DEMO_PASSWORD)
    page = client.get("/certificates/mine").get_data(as_text=True)
    assert f"/certificates/{holder.id}.pdf" in page
    pdf = client.get(f"/certificates/{holder.id}.pdf")
    assert pdf.status_code == 200 and b"/SMask" in pdf.data  # the seals print
    path = verify_url(holder).split("5000", 1)[1]
    assert "有效" in client.get(path).get_data(as_text=True)


def test_last_years_demo_contest_has_promotions_one_confirmed_one_declined_the_rest_pending(
        seeded):
    from competitions.contests.models import Competition
    from competitions.demo.results import LAST_YEAR
    from competitions.promotion import eligibility
    from competitions.promotion.models import EligibilityStatus, PromotionEligibility
    from competitions.promotion.worker_levels import level_in

    rows = db.session.scalars(sa.select(PromotionEligibility)).all()
    assert rows and all(row.rule_name == "tianjin_2024_city1" for row in rows)
    eligible = [row for row in rows if row.eligible]
    statuses = [row.status for row in eligible]
    assert statuses.count(EligibilityStatus.CONFIRMED) == 1
    assert statuses.count(EligibilityStatus.DECLINED) == 1
    assert statuses.count(EligibilityStatus.PENDING) == len(eligible) - 2 >= 1
    confirmed = next(row for row in eligible if row.status is EligibilityStatus.CONFIRMED)
    worker = db.session.get(Worker, confirmed.worker_id)
    assert level_in(worker, confirmed.occupation_id) is confirmed.to_level
    officer = db.session.scalar(sa.select(User).where(User.username == "js_hr"))
    contest = db.session.get(Competition, confirmed.competition_id)
    assert contest.name == LAST_YEAR and eligibility.can_review(officer, contest)


@pytest.mark.parametrize("day", [date(2026, 1, 2), date(2026, 7, 1), date(2026, 12, 31)],
                         ids=["new-year", "midsummer", "new-years-eve"])
def test_the_demo_tells_a_consistent_story_on_whatever_day_it_is_loaded(app, day):
    from competitions.certificates.models import Certificate
    from competitions.contests.models import Competition, CompetitionState, EventStage
    from competitions.demo.timeline import Timeline
    from competitions.judging.models import SignOff
    from competitions.promotion.models import PromotionEligibility
    from competitions.results.exports import notice_period
    from competitions.results.models import Appeal, TitleAward

    timeline = Timeline(day, frozen=True)
    demo.seed(echo=lambda *args: None, timeline=timeline)
    db.session.commit()
    now = timeline.clock
    by_name = {c.name: c for c in db.session.scalars(sa.select(Competition))}
    last = by_name[f"{day.year - 1}年南京市职工职业技能大赛"]
    city = by_name[f"{(day + timedelta(days=2)).year}年南京市职工职业技能大赛"]
    assert last.year == day.year - 1 and last.state is CompetitionState.FINAL
    assert city.starts_on == day + timedelta(days=2) and city.year == city.starts_on.year
    for competition in by_name.values():
        assert competition.year == competition.starts_on.year, competition.name

    welding = last.events[0]
    sign_off = db.session.scalar(sa.select(SignOff).where(SignOff.event_id == welding.id))
    started, ended = notice_period(welding)
    started, ended = started.replace(tzinfo=None), ended.replace(tzinfo=None)
    assert welding.stage is EventStage.FINAL
    # drawn → signed off → decrypted → published → notice ends → final, all last year
    moments = [welding.drawn_at, sign_off.signed_at, welding.decrypted_at,
               started - timedelta(hours=8), welding.notice_ends_at, welding.finalised_at]
    assert moments == sorted(moments) and {m.year for m in moments} == {day.year - 1}
    assert ended - started == timedelta(hours=last.notice_hours)
    for appeal in db.session.scalars(sa.select(Appeal).where(Appeal.event_id == welding.id)):
        assert welding.decrypted_at < appeal.filed_at < appeal.decided_at < welding.finalised_at
        assert appeal.filed_at <= welding.appeals_close_at
    decided = [t.decided_at for t in db.session.scalars(sa.select(TitleAward)) if t.decided_at]
    assert decided and all(welding.finalised_at < moment < now for moment in decided)
    certificates = db.session.scalars(sa.select(Certificate)).all()
    assert certificates and all(welding.finalised_at <= c.issued_at < now for c in certificates)
    promotions = db.session.scalars(sa.select(PromotionEligibility)).all()
    assert all(welding.finalised_at < p.decided_at < now for p in promotions if p.decided_at)
    assert not any(p.is_expired(now) for p in promotions)  # the undecided still wait
    # Each drawn event tells its entrants to check in at 07:30 on its first day, after the draw.
    for competition, event in ((last, welding), (city, city.events[0])):
        local = event.checkin_at + timedelta(hours=8)
        assert (local.date(), local.hour, local.minute) == (competition.starts_on, 7, 30)
        assert event.venue and event.drawn_at < event.checkin_at
    assert welding.checkin_at < sign_off.signed_at and now < city.events[0].checkin_at
    # Drills are recorded after they were held, in the demo's years; workforces were counted
    # last year.
    from competitions.contests.models import Drill
    drills = db.session.scalars(sa.select(Drill)).all()
    assert len(drills) == 3 and all(day.year - 1 <= d.held_on.year and d.held_on <= day
                                    for d in drills)
    assert {o.workforce_year for o in db.session.scalars(sa.select(Organisation))} == {
        None, day.year - 1}


def test_the_demo_draws_the_same_codes_on_every_load(tree):
    """The demo's draws are seeded by the event (a real draw uses the secure generator): the
    blind codes order the judges' sheets and so the demo's marks, its winners and who holds a
    certificate, which must not change from one load to the next."""
    from competitions.contests.models import CompetitionState
    from competitions.demo import judging as demo_judging
    from competitions.registration import draw
    from tests.factories import (
        make_competition,
        make_entry,
        make_event,
        make_organiser,
        make_worker,
    )

    organiser = make_organiser(tree.city)
    event = make_event(make_competition(tree.city, state=CompetitionState.REVIEW))
    entries = [make_entry(event, make_worker(tree.firm, name=f"选手{i}")) for i in range(8)]

    def codes():
        return [(e.entry_number, e.checkin_code, e.blind_code) for e in entries]

    demo_judging.draw_event(organiser, event)
    first = codes()
    draw.draw_event(organiser, event)  # the secure generator: a draw of its own
    assert codes() != first
    demo_judging.draw_event(organiser, event)  # drawn again, as on the next load
    assert codes() == first
