"""Factory helpers with keyword defaults: make_org(parent=city), make_worker(employer=firm)."""

import itertools
from datetime import date

from stdnum.cn import ric

from competitions.accounts.models import Role, RoleGrant, User
from competitions.extensions import db
from competitions.organisations.models import Organisation, OrgKind, Tier
from competitions.registration.idcard import parse_id_number
from competitions.registration.models import Worker

PASSWORD = "secret123"
_counter = itertools.count(1)


def valid_id_number(birth: date = date(1990, 5, 17), serial: int | None = None,
                    region: str = "320102", male: bool = True) -> str:
    """A resident ID number with a correct check digit (region 320102: 南京市玄武区)."""
    serial = next(_counter) % 500 if serial is None else serial
    order = serial * 2 + (1 if male else 0)
    body = f"{region}{birth:%Y%m%d}{order % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_org(name=None, *, parent=None, kind=None, tier=None) -> Organisation:
    """Insert directly (no service, no audit) so tests set up trees cheaply."""
    if tier is None:
        tier = parent.tier if parent is not None else Tier.NATIONAL
    if kind is None:
        kind = OrgKind.UNION
    org = Organisation(name=name or f"单位{next(_counter)}", kind=kind, tier=tier, parent=parent)
    db.session.add(org)
    db.session.flush()
    org.path = (parent.path if parent else "/") + f"{org.id}/"
    db.session.flush()
    return org


def make_enterprise(parent, name=None) -> Organisation:
    return make_org(name, parent=parent, kind=OrgKind.ENTERPRISE, tier=Tier.ENTERPRISE)


def make_user(username=None, *, password=PASSWORD, display_name=None, roles=(),
              organisation=None, **kwargs) -> User:
    username = username or f"user{next(_counter)}"
    user = User(username=username, display_name=display_name or username, **kwargs)
    user.set_password(password)
    db.session.add(user)
    for role in roles:
        db.session.add(RoleGrant(user=user, role=role,
                                 organisation=organisation if role is not Role.ADMIN else None))
    db.session.flush()
    return user


def make_admin(username="admin") -> User:
    return make_user(username, roles=[Role.ADMIN])


def make_organiser(organisation, username=None) -> User:
    return make_user(username, roles=[Role.ORGANISER], organisation=organisation)


def make_worker(employer, *, name="张三明", user=None, id_number=None, phone="13812345678",
                **kwargs) -> Worker:
    identity = parse_id_number(id_number or valid_id_number())
    worker = Worker(name=name, id_number=identity.number, birth_date=identity.birth_date,
                    sex=identity.sex, phone=phone, employer=employer, user=user, **kwargs)
    db.session.add(worker)
    db.session.flush()
    return worker


class Tree:
    """A small realistic tree: national → province → two cities → enterprises in each."""

    def __init__(self):
        self.national = make_org("中华全国总工会", tier=Tier.NATIONAL)
        self.province = make_org("江苏省总工会", parent=self.national, tier=Tier.PROVINCIAL)
        self.city = make_org("南京市总工会", parent=self.province, tier=Tier.CITY)
        self.other_city = make_org("苏州市总工会", parent=self.province, tier=Tier.CITY)
        self.firm = make_enterprise(self.city, "南京钢铁集团")
        self.other_firm = make_enterprise(self.other_city, "苏州电气公司")
