"""The national skill-level ladder (人社部发〔2022〕14号, the "new eight-level" system)."""

from competitions.database import LabelledEnum
from competitions.i18n import lazy_gettext as _l


class SkillLevel(LabelledEnum):
    """Lowest first; the order is the ladder."""

    APPRENTICE = "apprentice", _l("Apprentice")
    LEVEL_5 = "level5", _l("Junior worker (level 5)")
    LEVEL_4 = "level4", _l("Intermediate worker (level 4)")
    LEVEL_3 = "level3", _l("Senior worker (level 3)")
    LEVEL_2 = "level2", _l("Technician (level 2)")
    LEVEL_1 = "level1", _l("Senior technician (level 1)")
    PRINCIPAL = "principal", _l("Principal technician")
    CHIEF = "chief", _l("Chief technician")

    @property
    def rank(self) -> int:
        return list(SkillLevel).index(self)

    def __lt__(self, other):
        return self.rank < other.rank

    def __le__(self, other):
        return self.rank <= other.rank

    def step_up(self, steps: int = 1, cap: "SkillLevel | None" = None) -> "SkillLevel":
        """The level `steps` above this one, never past `cap` (or the top of the ladder)."""
        ladder = list(SkillLevel)
        top = ladder.index(cap) if cap else len(ladder) - 1
        return ladder[max(self.rank, min(self.rank + steps, top))]
