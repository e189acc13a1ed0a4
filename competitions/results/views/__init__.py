"""The results blueprint: an event's results, decryption, the notice, appeals, titles, exports.

Each module adds its routes to the one blueprint defined in results/blueprint.py.
"""

from competitions.results.blueprint import bp
from competitions.results.views import officials, pages  # noqa: F401

__all__ = ["bp"]
