from competitions.database import LabelledEnum
from competitions.i18n import lazy_gettext as _l


class Sex(LabelledEnum):
    MALE = "male", _l("Male")
    FEMALE = "female", _l("Female")
