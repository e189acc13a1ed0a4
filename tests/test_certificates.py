"""Certificates: issued at finalisation and title approval, once; serials and tokens; review
while results are reopened, and revocation and reissue of only what changed; the audit log."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from stdnum.iso7064 import mod_37_36

from competitions.audit.models import AuditEntry
from competitions.audit.reconcile import reconcile_certificates
from competitions.audit.services import verify_chain
from competitions.certificates import services
from competitions.certificates.models import Certificate, CertificateKind, CertificateStatus
from competitions.certificates.serials import (
    SERIAL_PATTERN,
    grouped_token,
    make_serial,
    make_token,
    normalise_serial,
    normalise_token,
)
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.judging import marking, signoff
from competitions.judging.models import ScoreSheet
from competitions.notifications.models import Notification
from competitions.organisations.models import Tier
from competitions.organisations.services import DomainError as OrgError
from competitions.organisations.services import check_region_code, region_of
from competitions.results import honours_rules, lifecycle
from competitions.results.models import Result, TitleAward
from tests.factories import MarkingSetup, make_org, make_organiser
from tests.test_results import A1, B1, T1

# Prizes (1 first, 1 second, 2 third) and medals, as 贵州 2023; bronze needs 76.50. Entry 2
# (77.00, third) earns 三等奖 and bronze; marked down to 76.30 it is still third but earns
# 三等奖 only, and nobody else's awards move.
CONFIG = {"prize": {"counts": [1, 1, 2], "excellence": None}, "medal": {"excellence": None},
          "min_totals": {"bronze": "76.5"}}


@pytest.fixture
def setup(tree):
    setup = MarkingSetup(tree).with_results_officials()
    setup.competition.award_config = CONFIG
    setup.competition.award_scheme = "custom"
    db.session.flush()
    return setup


def finalised(setup, when=None):
    when = when or utcnow()
    setup.finish(A1, B1, T1)
    lifecycle.decrypt(setup.officer, setup.event)
    lifecycle.publish(setup.organiser, setup.event, now=when)
    report = lifecycle.finalise(setup.organiser, setup.event, now=when + timedelta(days=6))
    db.session.commit()
    return report


def live(event) -> dict[int, Certificate]:
    return {c.worker_id: c for c in db.session.scalars(sa.select(Certificate).where(
        Certificate.event_id == event.id, Certificate.revoked_at.is_(None)))}


def awards_by_worker(setup) -> dict[int, list[str]]:
    results = {r.entry_id: r.awards for r in db.session.scalars(
        sa.select(Result).where(Result.event_id == setup.event.id))}
    return {w.id: results[e.id] for w, e in zip(setup.workers, setup.entries, strict=True)}


# --- serials and tokens (pure) --------------------------------------------------------------

def test_a_serial_carries_year_tier_region_number_and_a_mod_37_36_check_character():
    serial = make_serial(2026, Tier.CITY, "320100", 123)
    assert serial.startswith("2026-C-320100-0000123-")
    assert SERIAL_PATTERN.match(serial)
    assert mod_37_36.is_valid(serial.replace("-", ""))
    assert make_serial(2027, Tier.NATIONAL, None, 5).startswith("2027-N-000000-0000005-")
    assert normalise_serial(f"  {serial.lower()} ") == serial
    assert normalise_serial(serial.replace("－", "-").replace("-", "－")) == serial
    typo = serial[:-3] + ("4" if serial[-3] != "4" else "5") + serial[-2:]
    assert normalise_serial(typo) is None  # one digit wrong: the check character catches it
    assert normalise_serial("2026-C-320100") is None


def test_a_token_is_typed_back_in_groups_any_case():
    token = make_token()
    assert len(token) == 20 and token.isalnum() and token == token.upper()
    assert not set(token) & set("01IO")
    assert normalise_token(grouped_token(token).lower()) == token
    assert len({make_token() for _ in range(200)}) == 200


def test_a_region_code_is_six_digits_known_to_gb_t_2260_and_inherited(tree):
    assert check_region_code(" 320100 ") == "320100"
    assert check_region_code("") is None
    for bad in ("32010", "999999", "000000", "32O100"):
        with pytest.raises(OrgError) as refused:
            check_region_code(bad)
        assert refused.value.field == "region_code"
    tree.province.region_code = "320000"
    db.session.flush()
    assert region_of(tree.firm) == "320000"
    tree.city.region_code = "320100"
    assert region_of(tree.firm) == "320100" and region_of(tree.city) == "320100"
    assert region_of(tree.national) is None


# --- issue at finalisation ------------------------------------------------------------------

def test_finalising_issues_one_award_certificate_per_winner_with_every_award(setup, tree):
    tree.city.region_code = "320100"
    report = finalised(setup)
    expected = {worker: awards for worker, awards in awards_by_worker(setup).items() if awards}
    certs = live(setup.event)
    assert {w: c.awards for w, c in certs.items()} == expected
    assert len(report.issued) == len(expected) >= 3
    for cert in certs.values():
        assert cert.kind is CertificateKind.AWARD and cert.status is CertificateStatus.VALID
        assert cert.serial.startswith("2027-C-320100-") and normalise_serial(cert.serial)
        assert cert.holder_name == db.session.get(type(setup.workers[0]), cert.worker_id).name
    assert len({c.token for c in certs.values()}) == len(certs)
    # each holder with an account is told; the entrant (李小红) has one
    told = db.session.scalars(sa.select(Notification).where(
        Notification.kind == "certificate_issued")).all()
    assert [n.user_id for n in told] == ([setup.entrant.id]
                                         if setup.workers[1].id in certs else [])


def test_issuing_again_creates_nothing_and_everything_is_audited(setup):
    finalised(setup)
    before = {c.id for c in db.session.scalars(sa.select(Certificate))}
    report = services.issue_for_event(setup.organiser, setup.event)
    db.session.commit()
    assert (report.issued, report.revoked, report.confirmed) == ([], [], [])
    assert {c.id for c in db.session.scalars(sa.select(Certificate))} == before
    issued = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "certificate.issue")).all()
    assert len(issued) == len(before)
    assert verify_chain()[1] is None and reconcile_certificates() == []


def test_only_organisers_issue_and_only_final_results(setup):
    setup.finish(A1, B1, T1)
    with pytest.raises(services.CertificateRefused):
        services.issue_for_event(setup.organiser, setup.event)
    lifecycle.decrypt(setup.officer, setup.event)
    now = utcnow()
    lifecycle.publish(setup.organiser, setup.event, now=now)
    with pytest.raises(services.CertificateRefused):  # published, not yet final
        services.issue_for_event(setup.organiser, setup.event)
    lifecycle.finalise(setup.organiser, setup.event, now=now + timedelta(days=6))
    with pytest.raises(PermissionDenied):
        services.issue_for_event(setup.chief, setup.event)


def test_participation_certificates_go_to_every_entrant_when_switched_on(setup):
    setup.competition.certificate_settings = {"kinds": ["award", "participation"]}
    finalised(setup)
    kinds = {(c.worker_id, c.kind) for c in db.session.scalars(sa.select(Certificate))}
    participants = {w for w, k in kinds if k is CertificateKind.PARTICIPATION}
    winners = {w for w, k in kinds if k is CertificateKind.AWARD}
    assert participants == {w.id for w in setup.workers}
    assert winners == {w for w, awards in awards_by_worker(setup).items() if awards}


def test_a_team_gets_one_certificate_per_member_naming_the_team(tree):
    setup = MarkingSetup(tree, teams=True).with_results_officials()
    finalised(setup)
    certs = live(setup.event)
    champions = [setup.workers[3].id, setup.partners[3].id]
    assert all(worker in certs for worker in champions)
    assert {certs[w].team_name for w in champions} == {"第一队"}
    assert certs[champions[0]].awards == certs[champions[1]].awards != []
    assert certs[champions[0]].serial != certs[champions[1]].serial


def test_a_name_no_font_has_is_found_at_issue_and_rare_names_are_not(setup):
    setup.workers[3].name = "吉𠮷"
    setup.workers[0].name = "郑淼堃"
    report = finalised(setup)
    missing = {c.holder_name: c.missing_characters for c in report.missing}
    assert missing == {"吉𠮷": "𠮷"}


# --- titles ---------------------------------------------------------------------------------

def test_a_title_certificate_is_issued_on_approval_only_and_once(setup):
    setup.competition.title_rules = [["city_ladder", {}]]
    finalised(setup)
    awards = db.session.scalars(sa.select(TitleAward).order_by(TitleAward.id)).all()
    assert awards and not db.session.scalars(sa.select(Certificate).where(
        Certificate.kind == CertificateKind.TITLE)).all()
    cert = honours_rules.decide_title(setup.organiser, awards[0], approve=True, note="宁工发12号")
    assert cert.kind is CertificateKind.TITLE and cert.title == awards[0].title.value
    assert cert.worker_id == awards[0].worker_id
    if len(awards) > 1:
        assert honours_rules.decide_title(setup.organiser, awards[1], approve=False) is None
    assert services.issue_for_title(setup.organiser, awards[0]) is cert
    report = services.issue_for_competition(setup.organiser, setup.competition)
    assert report.issued == []
    db.session.commit()
    assert reconcile_certificates() == []


# --- review, revocation, reissue ------------------------------------------------------------

def _reopen_and_mark_entry_2_down(setup):
    lifecycle.reopen_results(setup.organiser, setup.event, "复核发现录入错误")
    signoff.reopen(setup.chief, setup.event, "更正录入错误")
    sheet = next(s for s in db.session.scalars(sa.select(ScoreSheet).where(
        ScoreSheet.entry_id == setup.entries[2].id))
        if any(m.criterion_id == setup.a1.id for m in s.marks))
    marking.correct_mark(setup.chief, sheet, setup.a1, D(19), "尺寸复测")
    signoff.sign_off(setup.chief, setup.event)


def test_a_reopening_puts_certificates_under_review_and_revokes_only_the_changed(setup):
    finalised(setup)
    first = {w: (c.id, c.serial, c.awards) for w, c in live(setup.event).items()}
    _reopen_and_mark_entry_2_down(setup)
    db.session.commit()
    assert {c.status for c in live(setup.event).values()} == {CertificateStatus.UNDER_REVIEW}
    now = utcnow()
    lifecycle.publish(setup.organiser, setup.event, now=now)
    report = lifecycle.finalise(setup.organiser, setup.event, now=now + timedelta(days=6))
    db.session.commit()
    changed = setup.workers[2].id
    after = live(setup.event)
    assert first[changed][2] == ["third_prize", "bronze"]
    assert after[changed].awards == ["third_prize"]
    assert [c.worker_id for c in report.revoked] == [changed]
    assert [c.worker_id for c in report.issued] == [changed]
    old = db.session.get(Certificate, first[changed][0])
    assert old.status is CertificateStatus.REVOKED and old.revoke_reason
    assert after[changed].replaces_id == old.id and after[changed].serial != old.serial
    for worker, (cert_id, serial, _awards) in first.items():
        if worker != changed:
            assert (after[worker].id, after[worker].serial) == (cert_id, serial)
            assert after[worker].status is CertificateStatus.VALID
    assert verify_chain()[1] is None and reconcile_certificates() == []


def test_an_organiser_revokes_one_by_hand_with_a_reason(setup, tree):
    finalised(setup)
    cert = next(iter(live(setup.event).values()))
    with pytest.raises(PermissionDenied):
        services.revoke(make_organiser(tree.other_city), cert, "无权")
    with pytest.raises(DomainError) as refused:
        services.revoke(setup.organiser, cert, "  ")
    assert refused.value.field == "reason"
    services.revoke(setup.organiser, cert, "获奖者资格经查不符")
    db.session.commit()
    assert cert.status is CertificateStatus.REVOKED and cert.revoked_at is not None
    with pytest.raises(services.CertificateRefused):
        services.revoke(setup.organiser, cert, "再次")
    # issuing again does not resurrect what an organiser revoked by hand … it issues anew
    report = services.issue_for_event(setup.organiser, setup.event)
    assert [c.worker_id for c in report.issued] == [cert.worker_id]
    db.session.commit()
    assert reconcile_certificates() == []


def test_a_certificate_changed_in_the_database_is_reported(setup, as_owner):
    finalised(setup)
    cert = next(iter(live(setup.event).values()))
    as_owner("UPDATE certificates SET holder_name = :name WHERE id = :id", name="冒名", id=cert.id)
    problems = reconcile_certificates()
    assert problems and all(cert.serial in p for p in problems)
    assert any("holder_name" in p for p in problems)


def test_the_issuer_is_the_organiser_unless_set_and_its_region_is_inherited(setup, tree):
    bureau = make_org("南京市人力资源和社会保障局", parent=tree.province, tier=Tier.CITY)
    tree.province.region_code = "320000"
    setup.competition.certificate_settings = {"issuer_ids": [tree.city.id, bureau.id]}
    finalised(setup)
    cert = next(iter(live(setup.event).values()))
    assert cert.issuer_ids == [tree.city.id, bureau.id]
    assert "-320000-" in cert.serial
    assert services.issuers_of_certificate(cert) == [tree.city, bureau]
