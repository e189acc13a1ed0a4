"""The judging blueprint: schemes, panels, score sheets, theory import, sign-off and reports.

Each module adds its routes to the one blueprint defined in judging/blueprint.py.
"""

from competitions.judging.blueprint import bp
from competitions.judging.views import nav, officials, reports, schemes, sheets  # noqa: F401

__all__ = ["bp"]
