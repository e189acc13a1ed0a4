"""Certificates: small records from which the PDF is rendered when asked for, and the images
(seal, logo) an organisation prints on them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.contests.models import Competition, Event
from competitions.database import Base, LabelledEnum, enum_column_type, utcnow
from competitions.i18n import lazy_gettext as _l
from competitions.registration.models import Worker


class CertificateKind(LabelledEnum):
    AWARD = "award", _l("Award certificate")  # 获奖证书
    TITLE = "title", _l("Honorary title certificate")  # 荣誉证书
    PARTICIPATION = "participation", _l("Certificate of participation")  # 参赛证明


class CertificateStatus(LabelledEnum):
    VALID = "valid", _l("Valid")  # 有效
    UNDER_REVIEW = "under_review", _l("Under review")  # 复核中: the results were reopened
    REVOKED = "revoked", _l("Revoked")  # 已撤销


class Certificate(Base):
    """One certificate of one person. What it says (name, awards, team, issuers) is kept as
    issued, so that a later rename or settings change never rewrites a printed certificate."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    # e.g. 2026-C-320100-0000123-K (serials.py); set right after the row has its id.
    serial: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    token: Mapped[str] = mapped_column(sa.String(32))  # the QR's secret: no enumeration
    kind: Mapped[CertificateKind] = mapped_column(enum_column_type(CertificateKind))
    # What the certificate is for; one live certificate per key ("award:<event>:<worker>",
    # "participation:<event>:<worker>", "title:<title award>").
    key: Mapped[str] = mapped_column(sa.String(60))
    competition_id: Mapped[int] = mapped_column(sa.ForeignKey("competitions.id"), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entries.id"))
    title_award_id: Mapped[int | None] = mapped_column(sa.ForeignKey("title_awards.id"))
    holder_name: Mapped[str] = mapped_column(sa.String(50))
    team_name: Mapped[str | None] = mapped_column(sa.String(100))
    awards: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # Award values
    title: Mapped[str | None] = mapped_column(sa.String(40))  # HonourTitle value
    issuer_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    # Characters of the printed text that no shipped font has, found at issue.
    missing_characters: Mapped[str | None] = mapped_column(sa.String(40))
    status: Mapped[CertificateStatus] = mapped_column(
        enum_column_type(CertificateStatus), default=CertificateStatus.VALID)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(sa.String(200))
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id"))

    competition: Mapped[Competition] = relationship()
    event: Mapped[Event] = relationship()
    worker: Mapped[Worker] = relationship()
    replaces: Mapped[Certificate | None] = relationship(remote_side=[id])

    __table_args__ = (
        sa.Index("uq_certificates_live_key", "key", unique=True,
                 sqlite_where=sa.text("revoked_at IS NULL"),
                 postgresql_where=sa.text("revoked_at IS NULL")),
    )

    def __repr__(self) -> str:
        return f"<Certificate {self.serial}>"

    @property
    def is_live(self) -> bool:
        return self.status is not CertificateStatus.REVOKED


class ImageKind(LabelledEnum):
    SEAL = "seal", _l("Seal")  # 公章
    LOGO = "logo", _l("Logo")


class OrganisationImage(Base):
    """A PNG an organisation prints on its certificates, kept in the database (DESIGN.md §6)."""

    __tablename__ = "organisation_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    kind: Mapped[ImageKind] = mapped_column(enum_column_type(ImageKind))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    width: Mapped[int]
    height: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("organisation_id", "kind",
                                          name="uq_organisation_images_kind"),)
