"""The judging blueprint: schemes, panels, score sheets, theory import, sign-off and reports.

Each module adds its routes to the one blueprint defined in judging/blueprint.py.
"""

from competitions.judging.blueprint import bp
from competitions.judging.views import (  # noqa: F401
    nav,
    officials,
    reports,
    schemes,
    score_import,
    sheets,
    signoff,
)

__all__ = ["bp"]
