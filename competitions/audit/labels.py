"""What the audit log page calls each recorded action, kind of object and field.

A code missing here is shown as it is recorded: the log is never hidden for want of a label.
"""

from competitions.accounts.models import Role
from competitions.certificates.models import CertificateKind, CertificateStatus
from competitions.contests.models import CompetitionClass, CompetitionState, EventGroup, EventStage
from competitions.i18n import lazy_gettext as _l
from competitions.judging.history import ACTION_LABELS as MARK_ACTIONS
from competitions.organisations.models import EnterpriseSize, OrgKind, Ownership, Tier
from competitions.promotion.levels import SkillLevel
from competitions.promotion.models import EligibilityStatus
from competitions.registration.models import EntryStatus
from competitions.results.award_plans import AWARD_PRESETS
from competitions.results.models import AppealStatus, TitleState
from competitions.results.ranking import TIE_BREAKS
from competitions.results.titles import TITLE_RULES

ACTIONS = {
    **MARK_ACTIONS,  # an entry's mark history calls them so too
    "account.create": _l("Account created"),
    "account.enable": _l("Account enabled"),
    "account.disable": _l("Account disabled"),
    "account.lock": _l("Account locked"),
    "account.unlock": _l("Account unlocked"),
    "account.password_change": _l("Password changed"),
    "account.sign_out_everywhere": _l("Signed out everywhere"),
    "account.invite": _l("Invitation sent"),
    "account.invite_accept": _l("Invitation accepted"),
    "account.reset_request": _l("Password reset requested"),
    "account.reset_issue": _l("Password-reset link issued"),
    "account.password_reset": _l("Password reset by link"),
    "appeal.file": _l("Appeal filed"),
    "appeal.uphold": _l("Appeal upheld"),
    "appeal.dismiss": _l("Appeal dismissed"),
    "certificate.issue": _l("Certificate issued"),
    "certificate.confirm": _l("Certificate confirmed"),
    "certificate.review": _l("Certificate put under review"),
    "certificate.revoke": _l("Certificate revoked"),
    "certificate.export": _l("Certificates exported"),
    "competition.create": _l("Competition created"),
    "competition.update": _l("Competition changed"),
    "competition.open_registration": _l("Registration opened"),
    "competition.close_registration": _l("Registration closed"),
    "competition.drawn": _l("Competition drawn"),
    "competition.finalise": _l("Competition finalised"),
    "competition.reopen": _l("Competition reopened"),
    "competition.advance": _l("Winners nominated to the next tier"),
    "competition.results_settings": _l("Results settings changed"),
    "competition.certificate_settings": _l("Certificate settings changed"),
    "competition.promotion_rules": _l("Promotion rules changed"),
    "competition.rules": _l("Rules document uploaded"),
    "document.download": _l("Entrant's document downloaded"),
    "document.upload": _l("Entrant's document uploaded"),
    "entry.register": _l("Entry registered"),
    "entry.import": _l("Entries imported"),
    "entry.endorse": _l("Entry endorsed by the unit"),
    "entry.approve": _l("Entry approved"),
    "entry.reject": _l("Entry rejected"),
    "entry.withdraw": _l("Entry withdrawn"),
    "event.create": _l("Event created"),
    "event.update": _l("Event changed"),
    "event.draw": _l("Blind codes drawn"),
    "event.redraw": _l("Blind codes drawn again"),
    "event.start_marking": _l("Marking started"),
    "event.sign_off": _l("Event signed off"),
    "event.decrypt": _l("Event decrypted"),
    "event.reopen": _l("Event reopened for marking"),
    "nomination.create": _l("Nomination made"),
    "nomination.withdraw": _l("Nomination withdrawn"),
    "occupation.create": _l("Occupation added"),
    "occupation.update": _l("Occupation changed"),
    "occupation.load": _l("Occupation catalogue loaded"),
    "organisation.create": _l("Organisation created"),
    "drill.record": _l("Drill recorded"),
    "drill.update": _l("Drill changed"),
    "drill.delete": _l("Drill deleted"),
    "organisation.update": _l("Organisation changed"),
    "organisation.import": _l("Unit data imported"),
    "organisation.move": _l("Organisation moved"),
    "organisation.seal": _l("Seal changed"),
    "organisation.logo": _l("Logo changed"),
    "panel.set": _l("Judging panel set"),
    "promotion.assess": _l("Promotion eligibility assessed"),
    "promotion.confirm": _l("Promotion confirmed"),
    "promotion.decline": _l("Promotion declined"),
    "promotion.flag": _l("Promotion flagged for review"),
    "promotion.certificate": _l("Skill level certificate recorded"),
    "promotion.export": _l("Promotion list exported"),
    "registration.export": _l("Registrations exported"),
    "results.publish": _l("Results published"),
    "results.republish": _l("Results published again"),
    "results.finalise": _l("Results finalised"),
    "results.reopen": _l("Results reopened"),
    "results.export": _l("Results exported"),
    "scale.seed": _l("Scale data generated for benchmarks"),
    "scale.links": _l("Sign-in links issued for scale data"),
    "role.grant": _l("Role granted"),
    "role.revoke": _l("Role revoked"),
    "scheme.create": _l("Marking scheme created"),
    "scheme.copy": _l("Marking scheme copied"),
    "scheme.clear": _l("Marking scheme cleared"),
    "scheme.lock": _l("Marking scheme locked"),
    "scheme.component_add": _l("Scheme component added"),
    "scheme.component_update": _l("Scheme component changed"),
    "scheme.component_remove": _l("Scheme component removed"),
    "scheme.criterion_add": _l("Criterion added"),
    "scheme.criterion_update": _l("Criterion changed"),
    "scheme.criterion_remove": _l("Criterion removed"),
    "scheme.spread_threshold": _l("Spread threshold changed"),
    "score_import.confirm": _l("Score import confirmed"),
    "title.recommend": _l("Title recommended"),
    "title.approve": _l("Title approved"),
    "title.decline": _l("Title declined"),
    "user.unit": _l("Unit changed"),
    "worker.create": _l("Worker added"),
    "worker.claim": _l("Profile claimed"),
    "worker.claim_code": _l("Claim code issued"),
    "worker.claim_code_sent": _l("Claim code e-mailed"),
    "worker.claim_failed": _l("Wrong claim code"),
    "worker.sign_up": _l("Worker signed up"),
    "worker.update": _l("Worker changed"),
    "worker.contact": _l("Contact details changed by the worker"),
}

# The filter's choices: each kind of action, by the start of its codes.
AREAS = {
    "account.": _l("Accounts"),
    "appeal.": _l("Appeals"),
    "certificate.": _l("Certificates"),
    "competition.": _l("Competitions"),
    "conflict.": ACTIONS["conflict.declare"],
    "document.": _l("Entrants' documents"),
    "drill.": _l("Drills"),
    "entry.": _l("Registration"),
    "event.": _l("Events"),
    "mark.": _l("Marks"),
    "nomination.": _l("Nominations"),
    "occupation.": _l("Occupations"),
    "organisation.": _l("Organisations"),
    "panel.": _l("Panels"),
    "penalty.": _l("Penalties"),
    "promotion.": _l("Promotion"),
    "registration.": ACTIONS["registration.export"],
    "results.": _l("Results"),
    "role.": _l("Roles"),
    "scheme.": _l("Marking scheme"),
    "score_import.": ACTIONS["score_import.confirm"],
    "timing.": _l("Time used"),
    "title.": _l("Titles"),
    "user.": ACTIONS["user.unit"],
    "worker.": _l("Workers"),
}

SUBJECTS = {
    "Appeal": _l("Appeal"),
    "Certificate": _l("Certificate"),
    "Competition": _l("Competition"),
    "Criterion": _l("Criterion"),
    "Drill": _l("Drill"),
    "Entry": _l("Entry"),
    "Event": _l("Event"),
    "MarkingScheme": _l("Marking scheme"),
    "Nomination": _l("Nomination"),
    "Occupation": _l("Occupation"),
    "Organisation": _l("Organisation"),
    "PromotionEligibility": _l("Promotion eligibility"),
    "RoleGrant": _l("Role"),
    "ScoreImport": _l("Score import"),
    "TitleAward": _l("Honorary title"),
    "User": _l("Account"),
    "Worker": _l("Worker"),
}

FIELDS = {
    "name": _l("Name"),
    "status": _l("Status"),
    "stage": _l("Stage"),
    "state": _l("Status"),
    "reason": _l("Reason"),
    "note": _l("Note"),
    "tier": _l("Tier"),
    "kind": _l("Type"),
    "group": _l("Group"),
    "role": _l("Role"),
    "year": _l("Year"),
    "competition_class": _l("Class"),
    "occupation": _l("Occupation"),
    "occupation_id": _l("Occupation"),
    "event_id": _l("Event"),
    "competition_id": _l("Competition"),
    "worker_id": _l("Worker"),
    "workers": _l("Workers"),
    "user_id": _l("Account"),
    "unit_id": _l("Unit"),
    "employer_id": _l("Unit"),
    "organisation_id": _l("Organisation"),
    "parent_id": _l("Parent organisation"),
    "workforce": _l("Workforce (职工人数)"),
    "workforce_year": _l("Year counted"),
    "industry": _l("Industry"),
    "ownership": _l("Ownership"),
    "size": _l("Size"),
    "held_on": _l("Held on"),
    "participants": _l("Number of participants"),
    "places": _l("Named winners"),
    "nominated_by_id": _l("Nominated by"),
    "entry_id": _l("Entry"),
    "team_name": _l("Team name"),
    "holder_name": _l("Holder"),
    "serial": _l("Serial"),
    "title": _l("Title"),
    "awards": _l("Awards"),
    "id_number": _l("ID number"),
    "phone": _l("Phone"),
    "skill_level": _l("Skill level"),
    "from_level": _l("From level"),
    "to_level": _l("To level"),
    "min_level": _l("Minimum level"),
    "max_level": _l("Maximum level"),
    "entries": _l("Entries"),
    "capacity": _l("Capacity"),
    "people": _l("People"),
    "rows": _l("Rows"),
    "marks": _l("Marks"),
    "seconds": _l("Time used (seconds)"),
    "points": _l("Points"),
    "judges": _l("Judges"),
    "notice_ends_at": _l("Notice ends"),
    "appeals_close_at": _l("Appeals close"),
    "award_scheme": _l("Award rules"),
    "title_rules": _l("Title rules"),
    "tie_breaks": _l("Tie-break order"),
    "advance_top_n": _l("Advance per event"),
    "certificate_no": _l("Certificate number"),
    "document_no": _l("Approval document number"),
    "skill_certificate_no": _l("Certificate number"),
    "results": _l("Results"),
    "description": _l("Description"),
    "schedule": _l("Schedule"),
    "required_documents": _l("Documents each entrant uploads"),
    "rules_file": _l("Rules (竞赛规程)"),
}

# Fields kept for `flask audit verify`, which mean nothing to a reader.
HIDDEN_FIELDS = {"id_digest", "sha256"}

# Fields whose values are names of presets: shown by the preset's label.
NAMED_VALUES = {
    "award_scheme": {**{name: preset.label for name, preset in AWARD_PRESETS.items()},
                     "custom": _l("Custom")},
    "tie_breaks": {name: label for name, (_key, label) in TIE_BREAKS.items()},
    "title_rules": {name: rule.label for name, rule in TITLE_RULES.items()},
}

# Fields whose recorded values are an enum's: shown by its label (the first enum that has it).
ENUM_FIELDS = {
    "stage": (EventStage,),
    "state": (CompetitionState, TitleState),
    "status": (EntryStatus, CertificateStatus, EligibilityStatus, AppealStatus, EventStage),
    "tier": (Tier,),
    "kind": (OrgKind, CertificateKind),
    "ownership": (Ownership,),
    "size": (EnterpriseSize,),
    "group": (EventGroup,),
    "role": (Role,),
    "competition_class": (CompetitionClass,),
    "skill_level": (SkillLevel,),
    "from_level": (SkillLevel,),
    "to_level": (SkillLevel,),
    "min_level": (SkillLevel,),
    "max_level": (SkillLevel,),
}

# Fields holding another row's id: shown by that row's name.
REFERENCE_FIELDS = {
    "event_id": "Event",
    "competition_id": "Competition",
    "worker_id": "Worker",
    "user_id": "User",
    "unit_id": "Organisation",
    "employer_id": "Organisation",
    "organisation_id": "Organisation",
    "parent_id": "Organisation",
    "nominated_by_id": "Organisation",
    "covers_id": "Organisation",
    "occupation_id": "Occupation",
    "entry_id": "Entry",
    "to": "Competition",
    "from_scheme": "MarkingScheme",
}


def action_label(code: str) -> str:
    label = ACTIONS.get(code)
    return str(label) if label is not None else code


def subject_label(subject_type: str) -> str:
    label = SUBJECTS.get(subject_type)
    return str(label) if label is not None else subject_type


def field_label(name: str) -> str:
    label = FIELDS.get(name)
    return str(label) if label is not None else name
