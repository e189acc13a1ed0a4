"""Every model, imported in one place so that Alembic and create_all see the whole schema."""

from competitions.accounts.models import RoleGrant, User  # noqa: F401
from competitions.audit.models import AuditEntry, AuditHead  # noqa: F401
from competitions.organisations.models import Organisation  # noqa: F401
from competitions.promotion.models import Occupation  # noqa: F401
from competitions.registration.models import Worker  # noqa: F401
