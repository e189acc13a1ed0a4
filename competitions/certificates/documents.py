"""From certificate records to PDFs: the wording, the issuers with their seals, the QR link."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from competitions.certificates import wording
from competitions.certificates.models import (
    Certificate,
    CertificateKind,
    ImageKind,
    OrganisationImage,
)
from competitions.certificates.pdf import (
    CertificateDocument,
    chinese_date,
    render_certificate,
)
from competitions.certificates.serials import grouped_token
from competitions.certificates.settings import settings_of
from competitions.extensions import db
from competitions.organisations.models import Organisation

VERIFY_PATH = "/verify/<serial>"  # the public check (public/certificate_views.py)


def verify_url(cert: Certificate) -> str:
    """The QR's link: PUBLIC_BASE_URL, since the CLI renders certificates without a request."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    path = VERIFY_PATH.replace("<serial>", quote(cert.serial))
    return f"{base}{path}?{urlencode({'t': cert.token})}"


def local_date(cert: Certificate):
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return cert.issued_at.replace(tzinfo=UTC).astimezone(zone).date()


class _Issuers:
    """Organisations and their images, loaded once for many certificates."""

    def __init__(self):
        self.orgs: dict[int, Organisation] = {}
        self.images: dict[tuple[int, ImageKind], bytes] = {}

    def load(self, ids: Iterable[int]) -> None:
        wanted = set(ids) - set(self.orgs)
        if not wanted:
            return
        for org in db.session.scalars(sa.select(Organisation)
                                      .where(Organisation.id.in_(wanted))):
            self.orgs[org.id] = org
        for image in db.session.scalars(sa.select(OrganisationImage)
                                        .where(OrganisationImage.organisation_id.in_(wanted))):
            self.images[image.organisation_id, image.kind] = image.data

    def of(self, cert: Certificate) -> list[Organisation]:
        self.load(cert.issuer_ids)
        return [self.orgs[i] for i in cert.issuer_ids if i in self.orgs]


def _document(issuers: _Issuers, orgs: list[Organisation], **text) -> CertificateDocument:
    images = issuers.images
    return CertificateDocument(
        issuers=tuple(org.name for org in orgs),
        seals=tuple(images.get((org.id, ImageKind.SEAL)) for org in orgs),
        logo=next((images[org.id, ImageKind.LOGO] for org in orgs
                   if (org.id, ImageKind.LOGO) in images), None),
        **text)


def document(cert: Certificate, issuers: _Issuers | None = None) -> CertificateDocument:
    issuers = issuers or _Issuers()
    return _document(issuers, issuers.of(cert), title=wording.TITLES[cert.kind],
                     holder=cert.holder_name, body=wording.body(cert),
                     date_text=chinese_date(local_date(cert)), serial=cert.serial,
                     verify_url=verify_url(cert), code=grouped_token(cert.token))


def pdf(cert: Certificate) -> bytes:
    return render_certificate(document(cert), settings_of(cert.competition).layout)


def file_name(cert: Certificate) -> str:
    """e.g. 2026-C-320100-0000123-8-张三.pdf (no character a file system refuses)."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", f"{cert.serial}-{cert.holder_name}.pdf")


def pdfs(certs: Iterable[Certificate]) -> Iterator[tuple[Certificate, bytes]]:
    """Each certificate with its PDF, lazily, the issuers' images loaded once for all."""
    issuers = _Issuers()
    for cert in certs:
        layout = settings_of(cert.competition).layout
        yield cert, render_certificate(document(cert, issuers), layout)


def sample_pdf(competition) -> bytes:
    """A specimen with the competition's current settings (issuers, seals, layout), marked as
    such, for the organiser to check before anything is issued."""
    from competitions.certificates.services import issuers_of
    from competitions.database import utcnow

    issuers = _Issuers()
    orgs = issuers_of(competition)
    issuers.load(org.id for org in orgs)
    event = competition.events[0] if competition.events else None
    where = wording.competition_name(competition) + (event.occupation.name if event else "")
    doc = _document(issuers, orgs, title=wording.TITLES[CertificateKind.AWARD],
                    holder="张三（样本）", body=f"在{where}中荣获一等奖，特发此证。",
                    date_text=chinese_date(utcnow().date()), serial="样本 SPECIMEN",
                    verify_url=current_app.config["PUBLIC_BASE_URL"])
    return render_certificate(doc, settings_of(competition).layout)
