"""A competition's certificate settings: which kinds it issues, who signs, how it prints."""

from __future__ import annotations

from dataclasses import dataclass, field

from competitions.certificates.models import CertificateKind
from competitions.certificates.pdf import FIELDS, PrintLayout


@dataclass(frozen=True)
class CertificateSettings:
    kinds: frozenset[CertificateKind] = frozenset({CertificateKind.AWARD,
                                                   CertificateKind.TITLE})
    issuer_ids: tuple[int, ...] = ()  # none chosen: the organising organisation alone
    preprinted: bool = False
    # Per field of pdf.FIELDS, (dx, dy) in mm: right and down from the default place.
    offsets: dict[str, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict | None) -> CertificateSettings:
        data = data or {}
        kinds = data.get("kinds")
        offsets = {name: (float(dx), float(dy))
                   for name, (dx, dy) in (data.get("offsets") or {}).items()
                   if name in FIELDS}
        return cls(kinds=(frozenset(CertificateKind(k) for k in kinds) if kinds is not None
                          else cls.kinds),
                   issuer_ids=tuple(int(i) for i in data.get("issuer_ids") or ()),
                   preprinted=bool(data.get("preprinted")), offsets=offsets)

    def to_json(self) -> dict:
        return {"kinds": sorted(kind.value for kind in self.kinds),
                "issuer_ids": list(self.issuer_ids), "preprinted": self.preprinted,
                "offsets": {name: [dx, dy] for name, (dx, dy) in sorted(self.offsets.items())
                            if (dx, dy) != (0, 0)}}

    def issues(self, kind: CertificateKind) -> bool:
        return kind in self.kinds

    @property
    def layout(self) -> PrintLayout:
        return PrintLayout(preprinted=self.preprinted, offsets_mm=dict(self.offsets))


def settings_of(competition) -> CertificateSettings:
    return CertificateSettings.from_json(competition.certificate_settings)
