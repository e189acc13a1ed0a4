"""The registration blueprint: worker profiles, entries, spreadsheet import and the draw.

Each module adds its routes to the one blueprint defined in registration/blueprint.py.
"""

from competitions.registration.blueprint import bp
from competitions.registration.views import (  # noqa: F401
    documents,
    draw,
    entries,
    imports,
    workers,
)

__all__ = ["bp"]
