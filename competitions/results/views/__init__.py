"""The results blueprint: an event's results, decryption, the notice, appeals, titles, exports.

Each module adds its routes to the one blueprint defined in results/blueprint.py.
"""

from competitions.results.blueprint import bp

__all__ = ["bp"]
