"""Every model, imported in one place so that Alembic and create_all see the whole schema."""

from competitions.accounts.models import AccountToken, LoginSession, RoleGrant, User  # noqa: F401
from competitions.audit.models import AuditEntry, AuditHead  # noqa: F401
from competitions.certificates.models import Certificate, OrganisationImage  # noqa: F401
from competitions.contests.models import Competition, Drill, DrillPlace, Event  # noqa: F401
from competitions.files.models import StoredFile  # noqa: F401
from competitions.judging.models import (  # noqa: F401
    Component,
    Criterion,
    DeclaredConflict,
    ImportedMark,
    Mark,
    MarkingScheme,
    PanelSeat,
    Penalty,
    ScoreImport,
    ScoreSheet,
    SignOff,
    Timing,
)
from competitions.notifications.models import Notification, OutboxMessage  # noqa: F401
from competitions.organisations.models import Organisation  # noqa: F401
from competitions.promotion.models import (  # noqa: F401
    LevelChange,
    Occupation,
    PromotionEligibility,
    WorkerLevel,
)
from competitions.registration.models import (  # noqa: F401
    Entry,
    EntryDocument,
    EntryMember,
    ImportBatch,
    Nomination,
    Worker,
    WorkerTitle,
)
from competitions.results.models import Appeal, Result, TitleAward  # noqa: F401
