"""Demo data: a Jiangsu union tree, organisers, judges and sixty workers, loaded through services.

`seed()` is idempotent: everything is generated from a fixed random seed and looked up before it
is created, so a second run finds every item in place and changes nothing.
"""

import functools
import random
from dataclasses import dataclass
from datetime import date, timedelta

import click
import sqlalchemy as sa
from stdnum import exceptions
from stdnum.cn import ric

from competitions.accounts.models import SYSTEM, Role, User
from competitions.accounts.services import create_user, grant_role
from competitions.database import clock_at
from competitions.demo.contests import ARBITRATOR, ENCRYPTION_OFFICER, seed_competitions
from competitions.demo.enterprises import seed_drills, seed_profiles
from competitions.demo.timeline import TIMELINE, Timeline
from competitions.extensions import db
from competitions.organisations.models import Organisation, OrgKind, Tier
from competitions.organisations.services import create_organisation
from competitions.promotion.catalogue import ensure_occupations
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import Occupation
from competitions.registration.idcard import parse_id_number
from competitions.registration.models import Worker
from competitions.registration.services import WorkerDetails, create_worker, sign_up_worker

DEMO_PASSWORD = "Demo2026!"
RANDOM_SEED = 2026

U, HR, ENT, SCH = OrgKind.UNION, OrgKind.HR_BUREAU, OrgKind.ENTERPRISE, OrgKind.SCHOOL
NAT, PROV, CITY, DIST, FIRM = (Tier.NATIONAL, Tier.PROVINCIAL, Tier.CITY, Tier.DISTRICT,
                               Tier.ENTERPRISE)

# (name, kind, tier, children); employers carry (city, workers, occupations) instead of children.
TREE = ("中华全国总工会", U, NAT, [
    ("江苏省总工会", U, PROV, [
        ("江苏省人力资源和社会保障厅", HR, PROV, []),
        ("南京市人力资源和社会保障局", HR, CITY, []),
        ("南京市总工会", U, CITY, [
            ("南京钢铁集团有限公司", ENT, FIRM, ("南京", 12, [
                "焊工", "电工", "起重装卸机械操作工", "机修钳工", "仪器仪表维修工"])),
            ("南京汽车集团有限公司", ENT, FIRM, ("南京", 10, [
                "汽车装调工", "汽车维修工", "装配钳工", "焊工", "工业机器人系统运维员"])),
            ("南京市江宁区总工会", U, DIST, [
                ("南京江宁精密制造有限公司", ENT, FIRM, ("南京", 8, [
                    "车工", "铣工", "磨工", "数控机床装调维修工", "加工中心操作工", "模具工"])),
                ("南京江宁城市建设集团有限公司", ENT, FIRM, ("南京", 6, [
                    "砌筑工", "钢筋工", "架子工", "混凝土工", "工程测量员"])),
            ]),
        ]),
        ("苏州市总工会", U, CITY, [
            ("苏州电气设备有限公司", ENT, FIRM, ("苏州", 10, [
                "电工", "电力电缆安装运维工", "继电保护员", "变配电运行值班员",
                "仪器仪表维修工"])),
            ("苏州职业技术学院", SCH, FIRM, ("苏州", 6, [
                "工业机器人系统运维员", "电子商务师", "数控机床装调维修工", "物联网安装调试员"])),
            ("苏州工业园区总工会", U, DIST, [
                ("苏州工业园区智能制造有限公司", ENT, FIRM, ("苏州", 8, [
                    "工业机器人系统操作员", "电工", "工具钳工", "模具工", "物联网安装调试员"])),
            ]),
        ]),
    ]),
])

# Administrative region codes (GB/T 2260); the organisations below each inherit the nearest.
REGION_CODES = {"江苏省总工会": "320000", "江苏省人力资源和社会保障厅": "320000",
                "南京市总工会": "320100", "南京市人力资源和社会保障局": "320100",
                "南京市江宁区总工会": "320115", "苏州市总工会": "320500"}

# (username, display name, role, organisation name or None, who they are: as the first run
# prints it and the README's table lists it, word for word — tests/test_demo.py compares them)
ACCOUNTS = [
    ("admin", "平台管理员", Role.ADMIN, None, "platform administrator"),
    ("js_organiser", "周文斌", Role.ORGANISER, "江苏省总工会",
     "organiser at 江苏省总工会 (the whole province)"),
    ("js_hr", "钱丽华", Role.HR_OFFICER, "江苏省人力资源和社会保障厅",
     "human-resources officer at 江苏省人力资源和社会保障厅, covering 江苏省总工会's subtree: "
     "reviews the promotions of the province's union competitions"),
    ("nj_organiser", "陈建国", Role.ORGANISER, "南京市总工会", "organiser at 南京市总工会"),
    ("sz_organiser", "顾晓燕", Role.ORGANISER, "苏州市总工会", "organiser at 苏州市总工会"),
    ("nisco_organiser", "孙海波", Role.ORGANISER, "南京钢铁集团有限公司",
     "organiser at 南京钢铁集团有限公司 (one enterprise)"),
    ("judge01", "吴志强", None, None,
     "chief judge of this year's Nanjing welding event (marking under way, one panel flagged)"),
    ("judge02", "沈慧敏", None, None,
     "judge of the same event; works at 南京钢铁集团 and is kept off its welders"),
    ("judge03", "陆永康", None, None, "judge of the same event"),
    ("judge04", "朱静怡", None, None, "judge of the same event, with two drafts left"),
    ("judge05", "许文华", None, None, "judge of the same event, the reserve who steps in"),
]
# The subtree each HR officer's grant covers: the provincial bureau reviews promotions from
# the province's union competitions.
HR_COVERS = {"js_hr": "江苏省总工会"}
WORKER_LOGINS = 10  # workers worker01 … worker10 can log in

# Region codes of Nanjing and Suzhou, current and historical; each ID number uses one that was
# in force in its holder's birth year (python-stdnum checks this).
REGIONS = {
    "南京": ["320102", "320104", "320105", "320106", "320111", "320113", "320114", "320115",
           "320116", "320117", "320118", "320103", "320107", "320121", "320122", "320123",
           "320124", "320125"],
    "苏州": ["320505", "320506", "320507", "320508", "320509", "320581", "320582", "320583",
           "320585", "320502", "320503", "320504", "320584", "322724", "322725", "322726",
           "322727", "322728"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾田董潘袁蒋沈顾陆钱蔡"
MALE_NAMES = [
    "伟", "强", "军", "磊", "涛", "斌", "杰", "峰", "勇", "鹏", "辉", "凯", "建国", "建华",
    "志强", "海涛", "文博", "宇航", "浩然", "俊杰", "晨阳", "明亮", "国平", "永刚", "子豪",
]
FEMALE_NAMES = [
    "芳", "娟", "敏", "静", "丽", "艳", "婷", "燕", "玲", "慧", "颖", "雯", "雪梅", "晓琳",
    "红霞", "秀英", "佳怡", "欣悦", "雨桐", "思雨", "丽华", "桂兰", "梦瑶",
]
LEVELS = [None, SkillLevel.LEVEL_5, SkillLevel.LEVEL_4, SkillLevel.LEVEL_3, SkillLevel.LEVEL_2,
          SkillLevel.LEVEL_1]
LEVEL_WEIGHTS = [15, 15, 30, 25, 10, 5]
# The youngest age at which the demo gives each level, so nobody is a 高级技师 at 23.
LEVEL_MIN_AGE = {SkillLevel.LEVEL_5: 18, SkillLevel.LEVEL_4: 20, SkillLevel.LEVEL_3: 24,
                 SkillLevel.LEVEL_2: 29, SkillLevel.LEVEL_1: 34}
BORN_FROM, BORN_UNTIL = date(1966, 1, 1), date(2004, 12, 31)
REFERENCE_YEAR = 2025  # the demo's "now" for ages and certificate years, fixed for repeatability
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "155", "157", "158", "159", "177", "180", "181", "182", "183", "186",
                   "187", "188", "189", "199"]


@dataclass
class WorkerSpec:
    employer: str
    name: str
    id_number: str
    phone: str
    occupation: str
    level: SkillLevel | None
    certificate: str | None
    username: str | None = None


def _employers(node=TREE):
    name, _kind, _tier, rest = node
    if isinstance(rest, tuple):
        yield name, rest
    else:
        for child in rest:
            yield from _employers(child)


@functools.cache
def _regions_in_force(city: str, year: int) -> list[str]:
    """The city's region codes that were in use in `year`, by python-stdnum's table."""
    regions = []
    for region in REGIONS[city]:
        try:
            ric.get_birth_place(f"{region}{year}0101000")
        except exceptions.ValidationError:
            continue
        regions.append(region)
    return regions


def _id_number(rng: random.Random, city: str, birth: date, male: bool) -> str:
    region = rng.choice(_regions_in_force(city, birth.year))
    order = rng.randrange(0, 500) * 2 + (1 if male else 0)
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    number = body + ric.calc_check_digit(body + "0")  # the argument includes a check digit
    return parse_id_number(number).number  # refuses anything the platform would refuse


def _level(rng: random.Random, birth: date) -> SkillLevel | None:
    level = rng.choices(LEVELS, LEVEL_WEIGHTS)[0]
    while level is not None and REFERENCE_YEAR - birth.year < LEVEL_MIN_AGE[level]:
        level = LEVELS[LEVELS.index(level) - 1]
    return level


def _certificate(rng: random.Random, level: SkillLevel, birth: date, school: bool) -> str:
    """22 characters: Y/S, agency, province, site, year, level digit (1–5), serial."""
    year = rng.randint(max(birth.year + LEVEL_MIN_AGE[level], 2020), REFERENCE_YEAR)
    digit = 6 - LEVELS.index(level)
    return (f"{'S' if school else 'Y'}{rng.randrange(10**6):06d}32{rng.randrange(1000):03d}"
            f"{year}{digit}{rng.randrange(10**5):05d}")


def worker_specs() -> list[WorkerSpec]:
    """The demo workers, the same on every run."""
    rng = random.Random(RANDOM_SEED)
    specs, numbers, phones = [], set(), set()
    for employer, (city, count, occupations) in _employers():
        made = 0
        while made < count:
            male = rng.random() < 0.7
            birth = BORN_FROM + timedelta(days=rng.randrange((BORN_UNTIL - BORN_FROM).days + 1))
            number = _id_number(rng, city, birth, male)
            phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if number in numbers or phone in phones:
                continue
            made += 1
            numbers.add(number)
            phones.add(phone)
            given = rng.choice(MALE_NAMES if male else FEMALE_NAMES)
            level = _level(rng, birth)
            certificate = (_certificate(rng, level, birth, employer.endswith("学院"))
                           if level else None)
            specs.append(WorkerSpec(employer, rng.choice(SURNAMES) + given, number, phone,
                                    rng.choice(occupations), level, certificate))
    for index, spec in enumerate(specs[::len(specs) // WORKER_LOGINS][:WORKER_LOGINS], 1):
        spec.username = f"worker{index:02d}"
    return specs


def _organisations(node, parent, created) -> dict[str, Organisation]:
    name, kind, tier, rest = node
    same_parent = (Organisation.parent_id == parent.id if parent is not None
                   else Organisation.parent_id.is_(None))
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == name, same_parent))
    if org is None:
        org = create_organisation(SYSTEM, name=name, kind=kind, tier=tier, parent=parent,
                                  region_code=REGION_CODES.get(name))
        created["organisations"] += 1
    found = {name: org}
    for child in ([] if isinstance(rest, tuple) else rest):
        found.update(_organisations(child, org, created))
    return found


def _accounts(orgs, created) -> None:
    """The administrator first; the administrator then appoints everyone else."""
    admin = None
    for username, display_name, role, org_name, _note in ACCOUNTS:
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            user = create_user(SYSTEM, username=username, password=DEMO_PASSWORD,
                               display_name=display_name)
            created["accounts"] += 1
        if role is Role.ADMIN:
            if not user.is_admin:
                grant_role(SYSTEM, user, Role.ADMIN)
            admin = user
        elif role is not None and not user.has_role(role):
            grant_role(admin, user, role, organisation=orgs[org_name],
                       covers=orgs.get(HR_COVERS.get(username)))


def _workers(orgs, created) -> None:
    occupations = {o.name: o for o in db.session.scalars(sa.select(Occupation))}
    specs = worker_specs()
    known = set(db.session.scalars(sa.select(Worker.id_number).where(
        Worker.id_number.in_([spec.id_number for spec in specs]))))
    with click.progressbar(specs, label="Demo workers") as bar:
        for spec in bar:
            if spec.id_number in known:
                continue
            details = WorkerDetails(
                name=spec.name, id_number=spec.id_number, phone=spec.phone,
                employer=orgs[spec.employer], occupation=occupations[spec.occupation],
                skill_level=spec.level, skill_certificate_no=spec.certificate)
            if spec.username:
                sign_up_worker(details, username=spec.username, password=DEMO_PASSWORD)
            else:
                create_worker(SYSTEM, details)
            created["workers"] += 1


def seed(echo=click.echo, timeline: Timeline = TIMELINE) -> dict[str, int]:
    """Load whatever part of the demo data is missing; return how much was created. Its dates
    follow `timeline` (the day of loading; a test passes another day)."""
    with clock_at(timeline.clock):
        return _seed(echo, timeline)


def _seed(echo, timeline: Timeline) -> dict[str, int]:
    created = {"occupations": len(ensure_occupations(SYSTEM)), "organisations": 0,
               "accounts": 0, "workers": 0, "competitions": 0, "entries": 0, "drills": 0}
    orgs = _organisations(TREE, None, created)
    seed_profiles(orgs, timeline)
    _accounts(orgs, created)
    _workers(orgs, created)
    seed_competitions(created, DEMO_PASSWORD, timeline)
    seed_drills(orgs, timeline, created)
    if any(created.values()):
        echo("Demo data loaded: " + ", ".join(f"{n} {what}" for what, n in created.items()) + ".")
    else:
        echo("Demo data already loaded: nothing changed.")
    return created


def is_loaded() -> bool:
    """True when the demo's accounts exist (a real deployment may well have an "admin")."""
    return db.session.scalar(sa.select(User.id).where(User.username == "nj_organiser")) is not None


def logins() -> list[tuple[str, str]]:
    """(username, who) for every demo login, as the first run prints them."""
    return [(username, note) for username, _name, _role, _org, note in ACCOUNTS] + [
        (ENCRYPTION_OFFICER[0],
         "encryption officer of both Nanjing competitions: sees blind codes, decrypts"),
        (ARBITRATOR[0], "arbitrator of both Nanjing competitions: decides appeals"),
        (f"worker01 … worker{WORKER_LOGINS:02d}",
         "workers with a profile at various employers; worker01 has a drawn entry in this "
         "year's Nanjing welding event (check-in time and place on the dashboard), "
         "worker07 … worker09 can register in Suzhou"),
    ]


def print_logins(echo=click.echo) -> None:
    echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, who in logins():
        echo(f"  {username:<16} {who}")
