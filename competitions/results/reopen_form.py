"""The form that formally reopens final results: a reason, and the flag that says the
organiser read what reopening does (the button sits under that description)."""

from competitions.forms import Confirmed
from competitions.results.forms import ReasonForm


class ReopenForm(Confirmed, ReasonForm):
    """Reopening final results (重新开启)."""
