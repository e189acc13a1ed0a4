"""The registration blueprint: worker profiles, entries, spreadsheet import and the draw.

Each module adds its routes to the one blueprint defined in registration/blueprint.py.
"""

from competitions.registration.blueprint import bp
from competitions.registration.views import draw, entries, imports, workers  # noqa: F401

__all__ = ["bp"]
