"""Issuing, reviewing and revoking certificates.

Finalising an event issues its award (and, where switched on, participation) certificates; a
title's approval issues its certificate. Issuing again creates nothing new: a certificate whose
award is unchanged stays (and returns from review to valid), one whose award changed is revoked
and replaced. Every issue, review, confirmation and revocation is audited.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import force_locale

from competitions.audit.services import record
from competitions.certificates import wording
from competitions.certificates.fonts import missing_characters
from competitions.certificates.images import check_png
from competitions.certificates.models import (
    Certificate,
    CertificateKind,
    CertificateStatus,
    ImageKind,
    OrganisationImage,
)
from competitions.certificates.serials import make_serial, make_token
from competitions.certificates.settings import CertificateSettings, settings_of
from competitions.contests.models import Competition, Event, EventStage
from competitions.database import utcnow
from competitions.errors import DomainError, PermissionDenied
from competitions.extensions import db
from competitions.i18n import lazy_gettext as _l
from competitions.organisations.models import Organisation
from competitions.organisations.services import region_of
from competitions.registration.models import Entry
from competitions.results.models import Result, TitleAward, TitleState

# Certificates an event's results issue (a title's certificate follows the title's approval).
RESULT_KINDS = (CertificateKind.AWARD, CertificateKind.PARTICIPATION)


class CertificateRefused(DomainError):
    pass


@dataclass
class IssueReport:
    issued: list[Certificate] = field(default_factory=list)
    confirmed: list[Certificate] = field(default_factory=list)  # back from review, unchanged
    revoked: list[Certificate] = field(default_factory=list)

    @property
    def missing(self) -> list[Certificate]:
        """New certificates whose text holds characters no shipped font has."""
        return [cert for cert in self.issued if cert.missing_characters]

    def add(self, other: IssueReport) -> None:
        self.issued += other.issued
        self.confirmed += other.confirmed
        self.revoked += other.revoked


@dataclass(frozen=True)
class _Due:
    """A certificate the results call for."""

    kind: CertificateKind
    key: str
    worker_id: int
    holder_name: str
    entry_id: int | None = None
    team_name: str | None = None
    awards: tuple[str, ...] = ()
    title_award: TitleAward | None = None


def snapshot(cert: Certificate) -> dict:
    """What the audit log keeps of a certificate, and `flask audit verify` compares."""
    return {"serial": cert.serial, "kind": cert.kind.value, "event_id": cert.event_id,
            "worker_id": cert.worker_id, "holder_name": cert.holder_name,
            "team_name": cert.team_name, "awards": list(cert.awards or ()),
            "title": cert.title, "status": cert.status.value}


def issuers_of(competition: Competition) -> list[Organisation]:
    """The organisations a competition's certificates name, the organiser when none is set."""
    ids = settings_of(competition).issuer_ids or (competition.organiser_id,)
    found = {org.id: org for org in db.session.scalars(
        sa.select(Organisation).where(Organisation.id.in_(ids)))}
    return [found[i] for i in ids if i in found] or [competition.organiser]


def _due_for_results(event: Event) -> list[_Due]:
    settings = settings_of(event.competition)
    due = []
    results = db.session.scalars(sa.select(Result)
                                 .where(Result.event_id == event.id, Result.is_current())
                                 .order_by(Result.rank, Result.id))
    for result in results:
        entry: Entry = result.entry
        for member in entry.members:
            common = {"worker_id": member.worker_id, "holder_name": member.worker.name,
                      "entry_id": entry.id, "team_name": entry.team_name}
            if result.awards and settings.issues(CertificateKind.AWARD):
                due.append(_Due(CertificateKind.AWARD,
                                f"award:{event.id}:{member.worker_id}",
                                awards=tuple(result.awards), **common))
            if settings.issues(CertificateKind.PARTICIPATION):
                due.append(_Due(CertificateKind.PARTICIPATION,
                                f"participation:{event.id}:{member.worker_id}", **common))
    return due


def _live(event_id: int, kinds: Iterable[CertificateKind]) -> dict[str, Certificate]:
    return {cert.key: cert for cert in db.session.scalars(
        sa.select(Certificate).where(Certificate.event_id == event_id,
                                     Certificate.kind.in_(list(kinds)),
                                     Certificate.revoked_at.is_(None)))}


def _create(actor, due: _Due, event: Event, issuers: list[Organisation],
            replaces: Certificate | None = None) -> Certificate:
    """A new certificate dated when what it attests was decided: the results' finalisation,
    or the title's approval."""
    title = due.title_award.title.value if due.title_award else None
    decided = due.title_award.decided_at if due.title_award else event.finalised_at
    cert = Certificate(
        token=make_token(), kind=due.kind, key=due.key, competition_id=event.competition_id,
        event_id=event.id, worker_id=due.worker_id, entry_id=due.entry_id,
        title_award_id=due.title_award.id if due.title_award else None,
        holder_name=due.holder_name, team_name=due.team_name, awards=list(due.awards),
        title=title, issuer_ids=[org.id for org in issuers],
        status=CertificateStatus.VALID, issued_at=decided or utcnow(), replaces=replaces)
    cert.event, cert.competition = event, event.competition
    printed = wording.printed_text(cert, issuers)
    cert.missing_characters = "".join(missing_characters(printed))[:40] or None
    db.session.add(cert)
    return cert


def _number(certs: list[Certificate], competition: Competition) -> None:
    """Give new certificates their serials, which end in their row's id."""
    if not certs:
        return
    db.session.flush()
    region = region_of(issuers_of(competition)[0])
    for cert in certs:
        cert.serial = make_serial(competition.year, competition.tier, region, cert.id)
    db.session.flush()


def _revoke(actor, cert: Certificate, reason: str, action: str = "certificate.revoke") -> None:
    before = snapshot(cert)
    cert.status, cert.revoked_at, cert.revoke_reason = (CertificateStatus.REVOKED, utcnow(),
                                                        reason[:200])
    record(actor, action, cert, before=before, after=snapshot(cert), reason=reason)


def _confirm(actor, cert: Certificate) -> None:
    before = snapshot(cert)
    cert.status = CertificateStatus.VALID
    record(actor, "certificate.confirm", cert, before=before, after=snapshot(cert))


def _issued(actor, certs: list[Certificate], event: Event) -> None:
    """Audit new certificates and tell their holders where to find them."""
    from competitions.notifications.services import notify
    from competitions.registration.models import Worker

    users = dict(db.session.execute(
        sa.select(Worker.id, Worker.user_id).where(
            Worker.id.in_({cert.worker_id for cert in certs}),
            Worker.user_id.is_not(None))).all()) if certs else {}
    told = set()
    for cert in certs:
        record(actor, "certificate.issue", cert, after=snapshot(cert),
               reason=f"replaces {cert.replaces.serial}" if cert.replaces else None)
        user_id = users.get(cert.worker_id)
        if user_id and user_id not in told:
            told.add(user_id)
            notify(user_id, "certificate_issued", competition=event.competition.name,
                   occupation=event.occupation.name, group=event.group.value)


def _automatic_reason(message) -> str:
    with force_locale("zh"):
        return str(message)


def issue_for_event(actor, event: Event) -> IssueReport:
    """Issue the certificates an event's final results call for; issuing again only settles
    what changed since (a reopening that changed an award revokes and replaces that one)."""
    if not event.competition.can_manage(actor):
        raise PermissionDenied(_l("Only the competition's organisers issue its certificates."))
    if event.stage is not EventStage.FINAL:
        raise CertificateRefused(_l("Certificates are issued once the event's results are "
                                    "final."))
    report = IssueReport()
    issuers = issuers_of(event.competition)
    live = _live(event.id, RESULT_KINDS)
    due = _due_for_results(event)
    for item in due:
        cert = live.pop(item.key, None)
        if cert is not None and tuple(cert.awards or ()) == item.awards:
            if cert.status is CertificateStatus.UNDER_REVIEW:
                _confirm(actor, cert)
                report.confirmed.append(cert)
            continue
        if cert is not None:
            _revoke(actor, cert, _automatic_reason(_l(
                "The results were corrected after a formal review; a new certificate "
                "replaces this one.")))
            db.session.flush()  # the live key is free again
            report.revoked.append(cert)
        report.issued.append(_create(actor, item, event, issuers, replaces=cert))
    settings = settings_of(event.competition)
    for cert in live.values():  # no longer called for by the results
        if cert.kind is CertificateKind.PARTICIPATION and not settings.issues(cert.kind):
            continue  # switched off later: what was issued stands
        _revoke(actor, cert, _automatic_reason(_l(
            "The results were corrected after a formal review and no longer give this "
            "award.")))
        report.revoked.append(cert)
    for cert in _live(event.id, [CertificateKind.TITLE]).values():
        if cert.status is CertificateStatus.UNDER_REVIEW:
            _confirm(actor, cert)
            report.confirmed.append(cert)
    _number(report.issued, event.competition)
    _issued(actor, report.issued, event)
    return report


def issue_for_title(actor, award: TitleAward) -> Certificate | None:
    """The certificate of an approved title (once; None if the competition issues none)."""
    event = db.session.get(Event, award.event_id)
    competition = event.competition
    if not competition.can_manage(actor):
        raise PermissionDenied(_l("Only the competition's organisers issue its certificates."))
    if award.state is not TitleState.APPROVED or not settings_of(competition).issues(
            CertificateKind.TITLE):
        return None
    key = f"title:{award.id}"
    existing = _live(event.id, [CertificateKind.TITLE]).get(key)
    if existing is not None:
        return existing
    cert = _create(actor, _Due(CertificateKind.TITLE, key, award.worker_id, award.worker.name,
                               title_award=award), event, issuers_of(competition))
    _number([cert], competition)
    _issued(actor, [cert], event)
    return cert


def issue_for_competition(actor, competition: Competition,
                          progress: Callable[[int], None] | None = None) -> IssueReport:
    """Everything a competition's final events and approved titles call for."""
    report = IssueReport()
    for event in competition.events:
        if event.stage is EventStage.FINAL:
            report.add(issue_for_event(actor, event))
            approved = db.session.scalars(sa.select(TitleAward).where(
                TitleAward.event_id == event.id, TitleAward.state == TitleState.APPROVED)
                .order_by(TitleAward.id))
            for award in approved:
                live = _live(event.id, [CertificateKind.TITLE]).get(f"title:{award.id}")
                cert = issue_for_title(actor, award)
                if cert is not None and live is None:
                    report.issued.append(cert)
        if progress:
            progress(1)
    return report


def put_under_review(actor, event: Event, reason: str) -> int:
    """A formal reopening of the event's final results: its certificates are 复核中 until the
    results are final again."""
    certs = list(_live(event.id, list(CertificateKind)).values())
    for cert in certs:
        if cert.status is CertificateStatus.VALID:
            before = snapshot(cert)
            cert.status = CertificateStatus.UNDER_REVIEW
            record(actor, "certificate.review", cert, before=before, after=snapshot(cert),
                   reason=reason)
    return len(certs)


def can_revoke(user, cert: Certificate) -> bool:
    return cert.competition.can_manage(user)


def revoke(actor, cert: Certificate, reason: str) -> None:
    """Revoke one certificate by hand (an organiser of the issuing competition), with a
    reason that the public check shows."""
    if not can_revoke(actor, cert):
        raise PermissionDenied(_l("Only the issuing competition's organisers revoke its "
                                  "certificates."))
    if not cert.is_live:
        raise CertificateRefused(_l("This certificate has already been revoked."))
    reason = (reason or "").strip()
    if not reason:
        raise CertificateRefused(_l("Give a reason; the public check shows it."),
                                 field="reason")
    _revoke(actor, cert, reason)


def can_download(user, cert: Certificate) -> bool:
    """The holder, and the issuing competition's organisers."""
    if not user.is_authenticated:
        return False
    worker = cert.worker
    return worker.user_id == user.id or cert.competition.can_manage(user)


def certificates_of_worker(worker_id: int) -> list[Certificate]:
    return list(db.session.scalars(
        sa.select(Certificate).where(Certificate.worker_id == worker_id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


def certificates_of_event(event: Event) -> list[Certificate]:
    return list(db.session.scalars(
        sa.select(Certificate).where(Certificate.event_id == event.id)
        .order_by(Certificate.revoked_at.is_not(None), Certificate.kind, Certificate.id)))


def issuers_of_certificate(cert: Certificate) -> list[Organisation]:
    """The organisations the certificate was issued by, in the order it prints them."""
    found = {org.id: org for org in db.session.scalars(
        sa.select(Organisation).where(Organisation.id.in_(cert.issuer_ids or [])))}
    return [found[i] for i in cert.issuer_ids or () if i in found]


def save_settings(actor, competition: Competition, settings: CertificateSettings) -> None:
    if not competition.can_manage(actor):
        raise PermissionDenied(_l("Only the competition's organisers change its certificates."))
    before = competition.certificate_settings
    competition.certificate_settings = settings.to_json()
    record(actor, "competition.certificate_settings", competition, before=before,
           after=competition.certificate_settings)


def save_image(actor, org: Organisation, kind: ImageKind, data: bytes) -> OrganisationImage:
    """An organisation's seal or logo, replacing the one before; a PNG checked by content
    (images.check_png raises ImageRefused, naming the limit)."""
    if not org.can_manage(actor):
        raise PermissionDenied(_l("You do not manage %(name)s.", name=org.name))
    width, height = check_png(data)
    image = db.session.scalar(sa.select(OrganisationImage).where(
        OrganisationImage.organisation_id == org.id, OrganisationImage.kind == kind))
    before = {"sha256": image.sha256} if image else None
    if image is None:
        image = OrganisationImage(organisation_id=org.id, kind=kind)
        db.session.add(image)
    image.data, image.width, image.height = data, width, height
    image.sha256 = hashlib.sha256(data).hexdigest()
    image.uploaded_by_id = getattr(actor, "id", None)
    record(actor, f"organisation.{kind.value}", org, before=before,
           after={"sha256": image.sha256, "width": width, "height": height})
    return image
