"""Demo judging: the Nanjing welding event is being marked.

The scheme is theory 30 % (imported from the exam system, not yet imported) and practical 70 %.
judge02 works for 南京钢铁集团, so the system keeps them off that group's welders and the
reserve judge05 steps in. Most sheets are submitted; one panel disagrees widely, and a few
sheets are still drafts, so the chief judge (judge01) has something to follow up.
"""

import random
from decimal import Decimal as D

import sqlalchemy as sa

from competitions.accounts.models import Role, User
from competitions.contests.models import Competition, EventStage
from competitions.extensions import db
from competitions.judging import flags, marking, panels, services, signoff
from competitions.judging.models import Aggregation, ComponentKind, CriterionKind
from competitions.organisations.models import Organisation
from competitions.registration import draw

# (username, role, unit)
OFFICIALS = [
    ("judge01", Role.CHIEF_JUDGE, "南京市江宁区总工会"),
    ("judge02", Role.JUDGE, "南京钢铁集团有限公司"),
    ("judge03", Role.JUDGE, "苏州电气设备有限公司"),
    ("judge04", Role.JUDGE, "苏州工业园区智能制造有限公司"),
    ("judge05", Role.JUDGE, "苏州职业技术学院"),
]

# (code, description, max, kind, panel, aggregation)
PRACTICAL = [
    ("A1", "试件尺寸与坡口角度", D(30), CriterionKind.MEASUREMENT, 1, Aggregation.MEAN),
    ("B1", "焊缝外观成形", D(40), CriterionKind.JUDGEMENT, 3, Aggregation.MEAN),
    ("B2", "安全文明生产", D(30), CriterionKind.JUDGEMENT, 3, Aggregation.MEDIAN),
]


def _user(username) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _org(name) -> Organisation:
    return db.session.scalar(sa.select(Organisation).where(Organisation.name == name))


def seed_judging(competition_name: str) -> None:
    competition = db.session.scalar(sa.select(Competition).where(
        Competition.name == competition_name))
    welding = competition.events[0]
    if welding.stage is not EventStage.DRAWN:
        return
    chief, judges = staff_and_scheme(_user("nj_organiser"), welding)
    signoff.start_marking(chief, welding)
    mark(welding, judges, drafts=True)


def staff_and_scheme(organiser, event) -> tuple[User, list[User]]:
    """Appoint the demo's chief judge and judges to `event`, build its scheme, seat panels."""
    for username, role, unit in OFFICIALS:
        panels.appoint_official(organiser, event, _user(username), role, _org(unit))
    chief = _user("judge01")
    judges = [_user(f"judge0{n}") for n in (2, 3, 4, 5)]
    scheme = services.scheme_for(chief, event)
    theory = services.add_component(chief, scheme, name="理论知识", kind=ComponentKind.THEORY,
                                    weight=D(30))
    services.add_criterion(chief, theory, code="T1", description="理论考试（机考）",
                           max_mark=D(100), kind=CriterionKind.IMPORTED)
    practical = services.add_component(chief, scheme, name="实际操作",
                                       kind=ComponentKind.PRACTICAL, weight=D(70))
    criteria = [services.add_criterion(chief, practical, code=code, description=text,
                                       max_mark=top, kind=kind, panel_size=size,
                                       aggregation=aggregation)
                for code, text, top, kind, size, aggregation in PRACTICAL]
    panels.set_panel(chief, criteria[0], [judges[1]])
    for criterion in criteria[1:]:
        panels.set_panel(chief, criterion, judges)  # judge05 is the reserve
    return chief, judges


def mark(event, judges, *, drafts: bool) -> None:
    """Submit the sheets with plausible marks and one wide panel; with `drafts`, leave two of
    one judge's sheets as drafts."""
    for j, judge in enumerate(judges):
        work = marking.judge_work(judge, event)
        for e, sheet in enumerate(work):
            values = {}
            for c, criterion in enumerate(sheet.criteria):
                share = D(70 + (e * 7 + j * 3 + c * 5) % 25) / 100
                values[criterion.id] = _on_step(criterion.max_mark * share, criterion.step)
                if e == 0 and j == 1 and criterion.code == "B2":
                    values[criterion.id] = D(8)  # far below the others: flagged for discussion
            draft = drafts and j == 2 and e >= len(work) - 2
            marking.save_sheet(judge, event, sheet.blind_code, values, version=sheet.version,
                               submit=not draft)


def _on_step(value: D, step: D) -> D:
    return (value / step).quantize(D("1")) * step


def accept_flags(chief, event) -> None:
    """The chief judge discussed each flagged panel with its judges and let the marks stand."""
    entries = {entry.id: entry for entry in panels.drawn_entries(event)}
    for flag in signoff.overview(event).unresolved:
        flags.accept_flag(chief, event, entries[flag.cell.entry_id], flag.cell.criterion,
                          "经裁判组合议，评分差异有现场记录为据，维持原评分。")


def draw_event(actor, event) -> None:
    """The event's draw from a generator seeded with its competition and occupation, so that the
    demo tells the same story on every load: the blind codes order each judge's sheets, and so
    the marks `mark` gives, and so who wins and holds a certificate. A real draw uses the
    system's secure generator (registration/draw.py)."""
    seed = f"{event.competition.name} {event.occupation.name}"
    draw.draw_event(actor, event, rng=random.Random(seed))
