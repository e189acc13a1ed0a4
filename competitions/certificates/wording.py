"""What a certificate says. Certificates are official documents issued in Chinese, whatever the
language of the page that offers them, so the wording is built under the zh locale."""

from __future__ import annotations

from flask_babel import force_locale

from competitions.certificates.models import Certificate, CertificateKind
from competitions.organisations.models import Organisation
from competitions.results.awards import Award
from competitions.results.honours import HonourTitle

TITLES = {CertificateKind.AWARD: "获奖证书", CertificateKind.TITLE: "荣誉证书",
          CertificateKind.PARTICIPATION: "参赛证明"}


def competition_name(competition) -> str:
    """The competition's name with its year in front, unless the name already says it."""
    name = competition.name
    return name if str(competition.year) in name else f"{competition.year}年{name}"


def event_phrase(cert: Certificate) -> str:
    """e.g. 2026年南京市职工职业技能大赛焊工（职工组）"""
    event = cert.event
    with force_locale("zh"):
        group = str(event.group.label)
    return f"{competition_name(cert.competition)}{event.occupation.name}（{group}）"


def awards_phrase(awards) -> str:
    """一等奖、金牌: every award earned, in the order the results give them."""
    with force_locale("zh"):
        return "、".join(str(Award(value).label) for value in awards)


def title_phrase(title: str) -> str:
    with force_locale("zh"):
        return str(HonourTitle(title).label)


def body(cert: Certificate) -> str:
    where = event_phrase(cert)
    if cert.kind is CertificateKind.TITLE:
        return f"在{where}中成绩优异，被授予“{title_phrase(cert.title)}”荣誉称号，特发此证。"
    if cert.kind is CertificateKind.PARTICIPATION:
        team = f"作为“{cert.team_name}”队成员" if cert.team_name else ""
        return f"{team}参加了{where}比赛，特此证明。"
    if cert.team_name:
        return (f"在{where}中，作为“{cert.team_name}”队成员荣获"
                f"{awards_phrase(cert.awards)}，特发此证。")
    return f"在{where}中荣获{awards_phrase(cert.awards)}，特发此证。"


def what_for(cert: Certificate) -> str:
    """The award or title a certificate attests, for lists and the public check."""
    if cert.kind is CertificateKind.TITLE:
        return str(HonourTitle(cert.title).label)
    if cert.kind is CertificateKind.PARTICIPATION:
        return str(cert.kind.label)
    return " · ".join(str(Award(value).label) for value in cert.awards)


def printed_text(cert: Certificate, issuers: list[Organisation]) -> str:
    """Every character the PDF prints from data (checked against the fonts at issue)."""
    return "".join([cert.holder_name, body(cert), *(org.name for org in issuers)])
