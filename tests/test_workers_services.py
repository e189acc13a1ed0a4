"""Worker profile services: validation of 身份证 and phone, permissions, audit."""

from datetime import date

import pytest
import sqlalchemy as sa
from stdnum.cn import ric

from competitions.accounts.models import User
from competitions.audit.models import AuditEntry
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.organisations.models import OrgKind, Tier
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import Occupation
from competitions.registration import services
from competitions.registration.models import Worker
from competitions.registration.services import InvalidWorker, WorkerDetails
from competitions.registration.sex import Sex
from tests.factories import (
    make_admin,
    make_enterprise,
    make_org,
    make_organiser,
    make_user,
    make_worker,
    valid_id_number,
)


def with_check_digit(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def id_ending_in_x() -> str:
    return next(n for n in (with_check_digit(f"32010219880312{i:03d}") for i in range(1000))
                if n.endswith("X"))


def wrong_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def details(employer, **overrides) -> WorkerDetails:
    values = {"name": "李四", "id_number": valid_id_number(), "phone": "13912345678",
              "employer": employer}
    values.update(overrides)
    return WorkerDetails(**values)


@pytest.fixture(autouse=True)
def request_context(app):
    """Messages are lazily translated; English makes them readable in assertions."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def organiser(tree):
    return make_organiser(tree.city)


def audit_text() -> str:
    db.session.commit()  # audit entries join their chains at commit
    entries = db.session.scalars(sa.select(AuditEntry)).all()
    return " ".join(f"{e.before} {e.after} {e.reason}" for e in entries)


def test_create_worker_derives_birth_date_and_sex(tree, organiser):
    number = valid_id_number(date(1985, 11, 3), male=False)
    worker = services.create_worker(organiser, details(tree.firm, id_number=number))
    assert worker.id_number == number
    assert worker.birth_date == date(1985, 11, 3)
    assert worker.sex is Sex.FEMALE
    assert worker.employer is tree.firm


def test_create_worker_records_audit_without_full_id_number(tree, organiser):
    number = valid_id_number()
    services.create_worker(organiser, details(tree.firm, id_number=number))
    db.session.commit()  # audit entries join their chains at commit
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "worker.create"))
    assert entry.actor_id == organiser.id
    assert number not in audit_text()
    assert "13912345678" not in audit_text()
    assert number[:6] in entry.after  # the masked form is kept, so the change can be followed


def test_lower_case_x_is_accepted_and_stored_upper_case(tree, organiser):
    number = id_ending_in_x()
    worker = services.create_worker(organiser, details(tree.firm, id_number=number.lower()))
    assert worker.id_number == number


@pytest.mark.parametrize("make_number, message", [
    (lambda: wrong_check_digit(valid_id_number()), "check digit"),
    (lambda: with_check_digit("32010219900230123"), "19900230"),
    (lambda: valid_id_number()[:17], "18"),
    (lambda: valid_id_number() + "1", "18"),
    (lambda: "32010219900517A23" + "4", "17 digits"),
])
def test_invalid_id_number_is_refused_on_its_field(tree, organiser, make_number, message):
    with pytest.raises(InvalidWorker) as refused:
        services.create_worker(organiser, details(tree.firm, id_number=make_number()))
    assert refused.value.field == "id_number"
    assert message in str(refused.value.message)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Worker)) == 0


def test_wrong_check_digit_message_names_the_check_digit(tree, organiser):
    with pytest.raises(InvalidWorker, match="check digit"):
        services.create_worker(organiser, details(
            tree.firm, id_number=wrong_check_digit(valid_id_number())))


def test_duplicate_id_number_is_refused(tree, organiser):
    number = id_ending_in_x()
    make_worker(tree.firm, id_number=number)
    with pytest.raises(services.DuplicateWorker) as refused:
        services.create_worker(organiser, details(tree.firm, id_number=number.lower()))
    assert refused.value.field == "id_number"


def test_phone_is_normalised(tree, organiser):
    worker = services.create_worker(organiser, details(tree.firm, phone="+86 139-1234-5678"))
    assert worker.phone == "13912345678"


@pytest.mark.parametrize("phone", ["12345678901", "1391234567", "139123456789", "010-12345678"])
def test_phone_that_is_not_a_mainland_mobile_is_refused(tree, organiser, phone):
    with pytest.raises(InvalidWorker) as refused:
        services.create_worker(organiser, details(tree.firm, phone=phone))
    assert refused.value.field == "phone"


def test_employer_must_be_an_enterprise_or_school(tree, organiser):
    with pytest.raises(InvalidWorker) as refused:
        services.create_worker(organiser, details(tree.city))
    assert refused.value.field == "employer"
    school = make_org("南京工业职业技术大学", parent=tree.city, kind=OrgKind.SCHOOL,
                      tier=Tier.CITY)
    assert services.create_worker(organiser, details(school)).employer is school


def test_certificate_number_needs_a_skill_level(tree, organiser):
    with pytest.raises(InvalidWorker) as refused:
        services.create_worker(organiser, details(tree.firm, skill_certificate_no="S123"))
    assert refused.value.field == "skill_level"
    worker = services.create_worker(organiser, details(
        tree.firm, skill_level=SkillLevel.LEVEL_3, skill_certificate_no=" s1234 "))
    assert worker.skill_certificate_no == "S1234"


def test_organiser_cannot_create_a_worker_outside_their_subtree(tree, organiser):
    with pytest.raises(PermissionDenied):
        services.create_worker(organiser, details(tree.other_firm))


def test_sign_up_creates_account_and_profile(tree):
    number = valid_id_number(date(1995, 2, 28))
    worker = services.sign_up_worker(details(tree.other_firm, id_number=number),
                                     username="lisi", password="Hanjie-2031x", email="LS@x.cn")
    assert worker.user.username == "lisi"
    assert worker.user.check_password("Hanjie-2031x")
    assert worker.user.display_name == "李四"
    assert worker.user.email == "ls@x.cn"
    assert worker.birth_date == date(1995, 2, 28)
    db.session.commit()  # audit entries join their chains at commit
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "worker.sign_up" in actions and "account.create" in actions
    assert number not in audit_text()


@pytest.mark.parametrize("overrides, field", [
    ({"username": "taken"}, "username"),
    ({"password": "short1"}, "password"),
    ({"password": "onlyletters"}, "password"),
])
def test_sign_up_refuses_bad_account_details(tree, overrides, field):
    make_user("taken")
    account = {"username": "newbie", "password": "Hanjie-2031x", **overrides}
    with pytest.raises(DomainError) as refused:
        services.sign_up_worker(details(tree.firm), **account)
    assert refused.value.field == field


def test_update_worker_rederives_identity_and_audits_masked(tree, organiser):
    worker = make_worker(tree.firm)
    # 320102 dates from 1983; numbers carry the issuing region, so a 1970 birth is fine.
    new_number = valid_id_number(date(1970, 1, 2), male=False)
    occupation = Occupation(name="焊工")
    db.session.add(occupation)
    services.update_worker(organiser, worker, details(
        tree.firm, name="王五", id_number=new_number, occupation=occupation))
    assert (worker.name, worker.birth_date, worker.sex) == ("王五", date(1970, 1, 2), Sex.FEMALE)
    assert worker.occupation is occupation
    db.session.commit()  # audit entries join their chains at commit
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "worker.update"))
    assert entry.before and entry.after
    assert new_number not in audit_text()


def test_update_keeps_own_id_number_without_calling_it_a_duplicate(tree, organiser):
    worker = make_worker(tree.firm)
    services.update_worker(organiser, worker, details(tree.firm, id_number=worker.id_number))
    assert worker.name == "李四"


def test_organiser_of_another_subtree_cannot_update(tree):
    worker = make_worker(tree.firm)
    stranger = make_organiser(tree.other_city)
    with pytest.raises(PermissionDenied):
        services.update_worker(stranger, worker, details(tree.firm))


def test_organiser_cannot_move_a_worker_outside_their_subtree(tree, organiser):
    worker = make_worker(tree.firm)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.update_worker(organiser, worker, details(tree.other_firm))
    db.session.rollback()
    assert db.session.get(Worker, worker.id).employer_id == tree.firm.id


def test_workers_query_is_confined_to_managed_subtrees(tree, organiser):
    mine = make_worker(tree.firm, name="张三")
    theirs = make_worker(tree.other_firm, name="赵六")
    assert db.session.scalars(services.workers_query(organiser)).all() == [mine]
    admin = make_admin()
    assert set(db.session.scalars(services.workers_query(admin))) == {mine, theirs}
    assert db.session.scalars(services.workers_query(User(username="nobody"))).all() == []


def test_workers_query_searches_name_and_exact_id_number(tree, organiser):
    number = id_ending_in_x()
    worker = make_worker(tree.firm, name="欧阳修明", id_number=number)
    make_worker(make_enterprise(tree.city), name="张三")
    assert db.session.scalars(services.workers_query(organiser, "阳修")).all() == [worker]
    assert db.session.scalars(services.workers_query(organiser, number.lower())).all() == [worker]
    assert db.session.scalars(services.workers_query(organiser, number[:10])).all() == []


def test_a_sign_up_that_loses_a_race_gets_a_message_not_an_error(tree, monkeypatch):
    """Two sign-ups at once both pass the uniqueness checks; the constraint stops one."""
    from competitions.accounts import services as accounts
    from competitions.registration import services as registration

    make_user("racer")
    monkeypatch.setattr(accounts, "_check_unique", lambda *args, **kwargs: None)
    details = registration.WorkerDetails(name="赛跑者", id_number=valid_id_number(),
                                         phone="13900000001", employer=tree.firm)
    with pytest.raises(registration.SignUpTaken):
        registration.sign_up_worker(details, username="racer", password="Strong2026pw")
    db.session.commit()  # the session is still usable: nothing half-saved
    assert db.session.scalar(sa.select(sa.func.count(Worker.id))) == 0
