"""Honorary titles (荣誉称号) a worker may hold: granted by competitions, and able to bar entry."""

from competitions.database import LabelledEnum
from competitions.i18n import lazy_gettext as _l


class HonourTitle(LabelledEnum):
    CHINA_SKILLS_AWARD = "china_skills_award", _l("China Skills Award")
    NATIONAL_TECHNICAL_EXPERT = "national_technical_expert", _l("National Technical Expert")
    NATIONAL_MAY_DAY_MEDAL = "national_may_day_medal", _l("National May Day Labour Medal")
    PROVINCIAL_TECHNICAL_EXPERT = "provincial_technical_expert", _l(
        "Provincial Technical Expert")
    PROVINCIAL_MAY_DAY_MEDAL = "provincial_may_day_medal", _l("Provincial May Day Labour Medal")
    CITY_TECHNICAL_EXPERT = "city_technical_expert", _l("City Technical Expert")
    TECHNICAL_CHAMPION = "technical_champion", _l("Technical Champion")
    TECHNICAL_PACESETTER = "technical_pacesetter", _l("Technical Pacesetter")
    YOUTH_POST_EXPERT = "youth_post_expert", _l("Youth Post Expert")
