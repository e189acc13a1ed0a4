from flask_babel import lazy_gettext as _l

from competitions.database import LabelledEnum


class Sex(LabelledEnum):
    MALE = "male", _l("Male")
    FEMALE = "female", _l("Female")
