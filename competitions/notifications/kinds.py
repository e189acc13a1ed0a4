"""Each kind of notification: how it reads and where it leads, in the reader's language.

A notification is stored as a kind and plain parameters (names, codes, ISO moments in UTC), so
the same row reads in Chinese or English, in the inbox and in the e-mail. Events are named from
their occupation and group, rebuilt here so that the group follows the reader's language.
"""

from datetime import datetime

from flask import url_for

from competitions.i18n import lazy_gettext as _l
from competitions.i18n import local_time


def _event(params) -> str:
    from competitions.contests.models import EventGroup
    if "group" not in params:
        return params["event"]
    return f"{params['occupation']} · {EventGroup(params['group']).label}"


def _moment(params, key) -> str | None:
    value = params.get(key)
    return local_time(datetime.fromisoformat(value)) if value else None


# Entries


def _entry_submitted(params):
    if params["step"] == "endorse":
        message = _l("%(names)s registered for %(event)s of %(competition)s: the entry awaits "
                     "your unit's endorsement.", names=params["names"], event=_event(params),
                     competition=params["competition"])
    else:
        message = _l("%(names)s's entry for %(event)s of %(competition)s awaits your approval.",
                     names=params["names"], event=_event(params),
                     competition=params["competition"])
    return message, url_for("registration.event_entries", event_id=params["event_id"])


def _entry_status(params):
    from competitions.registration.models import EntryStatus
    status = EntryStatus(params["status"])
    if status is EntryStatus.REJECTED and params.get("reason"):
        message = _l("Your entry for %(event)s was rejected: %(reason)s", event=_event(params),
                     reason=params["reason"])
    else:
        message = _l("Your entry for %(event)s: %(status)s.", event=_event(params),
                     status=status.label)
    return message, url_for("registration.my_entries")


def _entry_drawn(params):
    number, event = params["entry_number"], _event(params)
    time, venue = _moment(params, "checkin_at"), params.get("venue")
    if time and venue:
        message = _l("The draw for %(event)s is done: your entry number is %(number)s. Check in "
                     "at %(venue)s on %(time)s.", event=event, number=number, venue=venue,
                     time=time)
    else:
        message = _l("The draw for %(event)s is done: your entry number is %(number)s. The "
                     "organisers will announce the check-in time and place.", event=event,
                     number=number)
    return message, url_for("registration.my_entries")


# Judging


def _sheet_returned(params):
    return (_l("The chief judge returned your score sheet for %(code)s: %(reason)s",
               code=params["blind_code"], reason=params["reason"]),
            url_for("judging.score_sheet", event_id=params["event_id"],
                    blind_code=params["blind_code"]))


def _event_ready(params):
    event, task = _event(params), params["task"]
    if task == "mark":
        return (_l("Marking of %(event)s (%(competition)s) has started: your score sheets are "
                   "ready.", event=event, competition=params["competition"]),
                url_for("judging.index"))
    if task == "decrypt":
        return (_l("%(event)s (%(competition)s) is signed off by its chief judge and waits for "
                   "decryption.", event=event, competition=params["competition"]),
                url_for("results.event", event_id=params["event_id"]))
    if task == "republish":
        return (_l("%(event)s (%(competition)s) is signed off again after the appeal: publish "
                   "the corrected results.", event=event, competition=params["competition"]),
                url_for("results.event", event_id=params["event_id"]))
    return (_l("%(event)s (%(competition)s) is decrypted: its results are ready to publish.",
               event=event, competition=params["competition"]),
            url_for("results.event", event_id=params["event_id"]))


# Results and appeals


def _results_published(params):
    message = _l("The results of %(event)s (%(competition)s) are published and on public notice "
                 "until %(end)s; appeals are accepted until %(deadline)s.",
                 event=_event(params), competition=params["competition"],
                 end=_moment(params, "notice_ends"), deadline=_moment(params, "appeals_close"))
    return message, url_for("public.event_results", event_id=params["event_id"])


def _appeal_filed(params):
    return (_l("A new appeal against the results of %(event)s awaits your decision; the notice "
               "ends on %(end)s.", event=_event(params), end=_moment(params, "notice_ends")),
            url_for("results.appeal_detail", appeal_id=params["appeal_id"]))


def _appeal_status(params):
    event, reason = _event(params), params.get("reason")
    if params["status"] == "upheld":
        message = _l("The appeal about %(event)s was upheld: %(reason)s The marks are re-checked "
                     "and the results will be published again.", event=event, reason=reason)
    elif params["status"] == "dismissed":
        message = _l("The appeal about %(event)s was dismissed: %(reason)s", event=event,
                     reason=reason)
    else:
        message = _l("The appeal about %(event)s is received; the arbitrators will decide it.",
                     event=event)
    return message, url_for("results.appeal_detail", appeal_id=params["appeal_id"])


def _appeal_upheld(params):
    event = _event(params)
    if "appeal_id" not in params:  # written before appeals named the entry and criterion
        return (_l("An appeal in %(event)s was upheld: marking is reopened for your correction.",
                   event=event), url_for("judging.overview", event_id=params["event_id"]))
    if params.get("criterion"):
        message = _l("An appeal in %(event)s was upheld: re-check %(code)s on criterion "
                     "%(criterion)s. Marking is reopened for your correction.", event=event,
                     code=params["blind_code"], criterion=params["criterion"])
    else:
        message = _l("An appeal in %(event)s was upheld: re-check %(code)s. Marking is reopened "
                     "for your correction.", event=event, code=params["blind_code"])
    return message, url_for("results.appeal_detail", appeal_id=params["appeal_id"])


def _nominated(params):
    return (_l("Your result in %(source)s sends you on: you are nominated for %(event)s of "
               "%(competition)s.", source=params["source"], event=_event(params),
               competition=params["competition"]),
            url_for("registration.my_entries"))


def _unit_nominated(params):
    closes = _moment(params, "closes")
    if closes:
        message = _l("%(names)s of your units are nominated for %(event)s of %(competition)s: "
                     "register them by %(date)s.", names=params["names"], event=_event(params),
                     competition=params["competition"], date=closes)
    else:
        message = _l("%(names)s of your units are nominated for %(event)s of %(competition)s: "
                     "register them once registration opens.", names=params["names"],
                     event=_event(params), competition=params["competition"])
    return message, url_for("registration.event_entries", event_id=params["event_id"])


# Certificates and promotion


def _certificate_issued(params):
    return (_l("Your certificate for %(event)s of %(competition)s is ready to download.",
               event=_event(params), competition=params["competition"]),
            url_for("certificates.mine"))


def _promotion_decided(params):
    from competitions.promotion.levels import SkillLevel
    level = SkillLevel(params["level"]).label if params.get("level") else ""
    if params["status"] == "confirmed":
        message = _l("%(name)s's promotion to %(level)s in %(occupation)s is confirmed.",
                     name=params["name"], level=level, occupation=params["occupation"])
    else:
        message = _l("%(name)s's promotion to %(level)s in %(occupation)s was declined.",
                     name=params["name"], level=level, occupation=params["occupation"])
    return message, url_for("promotion.record", worker_id=params["worker_id"])


def _promotion_pending(params):
    return (_l("%(count)s promotion eligibilities of %(competition)s await your decision; the "
               "first expires on %(date)s.", count=params["count"],
               competition=params["competition"], date=_moment(params, "expires")),
            url_for("promotion.eligibilities", competition=params["competition_id"],
                    status="pending"))


def _password_reset(params):
    if params.get("by"):
        message = _l("The password of your account was reset on %(time)s with a link issued by "
                     "%(by)s, and every session was signed out. If this was not you, tell your "
                     "organiser.", time=_moment(params, "at"), by=params["by"])
    else:
        message = _l("The password of your account was reset on %(time)s, and every session "
                     "was signed out. If this was not you, reset it again and tell your "
                     "organiser.", time=_moment(params, "at"))
    return message, url_for("accounts.security")


# kind → function(params) -> (message, link)
RENDERERS = {
    "entry_submitted": _entry_submitted, "entry_status": _entry_status,
    "entry_drawn": _entry_drawn, "sheet_returned": _sheet_returned, "event_ready": _event_ready,
    "results_published": _results_published, "appeal_filed": _appeal_filed,
    "appeal_status": _appeal_status, "appeal_upheld": _appeal_upheld,
    "nominated": _nominated, "unit_nominated": _unit_nominated,
    "certificate_issued": _certificate_issued, "promotion_decided": _promotion_decided,
    "promotion_pending": _promotion_pending, "password_reset": _password_reset,
}
