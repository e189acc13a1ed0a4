"""The accounts blueprint: each module adds its routes to the one blueprint defined in
accounts/blueprint.py."""

from competitions.accounts.blueprint import bp
from competitions.accounts.views import account, claims, links, officials  # noqa: F401

__all__ = ["bp"]
