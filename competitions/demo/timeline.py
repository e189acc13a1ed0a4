"""The demo's dates, all derived from the day it is loaded, so that its story holds on any day:
last year's contest ran its whole course last autumn; this season's city contest starts in two
days (registration closed, marking under way); Suzhou takes registrations for the spring; the
provincial final follows in early summer. Names carry the year their contest starts in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta  # noqa: F401  (UTC: today())

# Where the Nanjing contests' entrants check in; told to them with the time at the draw.
NANJING_VENUE = "南京技师学院江宁校区实训楼"


@dataclass(frozen=True)
class Timeline:
    today: date
    frozen: bool = False  # True: the clock stands at `today` 10:00 Beijing time while loading

    @property
    def clock(self) -> datetime | None:
        """What `utcnow()` answers while the demo loads: None for the real clock."""
        return self.at(self.today) if self.frozen else None

    @staticmethod
    def at(day: date, hour_utc: int = 2) -> datetime:
        """Naive UTC, as stored: 02:00 UTC is 10:00 in Beijing."""
        return datetime.combine(day, time(hour_utc, 0))

    @staticmethod
    def checkin(day: date) -> datetime:
        """Check-in (检录) at 07:30 Beijing time on a contest's first day, as stored (UTC)."""
        return datetime.combine(day, time(0, 0)) - timedelta(minutes=30)

    # Last year's Nanjing contest: 18 October, published a week later at 10:00 Beijing time.
    @property
    def last_year(self) -> int:
        return self.today.year - 1

    @property
    def last_starts(self) -> date:
        return date(self.last_year, 10, 18)

    @property
    def last_registered(self) -> datetime:
        return self.at(self.last_starts - timedelta(days=21))

    @property
    def last_marked(self) -> datetime:
        return self.at(self.last_starts + timedelta(days=2), 8)

    @property
    def last_published(self) -> datetime:
        return self.at(self.last_starts + timedelta(days=7))

    @property
    def last_finalised(self) -> datetime:
        return self.last_published + timedelta(days=6)

    @property
    def city_starts(self) -> date:
        return self.today + timedelta(days=2)

    @property
    def suzhou_starts(self) -> date:
        return self.today + timedelta(days=104)

    @property
    def provincial_starts(self) -> date:
        return self.today + timedelta(days=163)

    @property
    def last_year_name(self) -> str:
        return f"{self.last_year}年南京市职工职业技能大赛"

    @property
    def nanjing(self) -> str:
        return f"{self.city_starts.year}年南京市职工职业技能大赛"

    @property
    def suzhou(self) -> str:
        return f"{self.suzhou_starts.year}年苏州市职工职业技能大赛"

    @property
    def provincial(self) -> str:
        return f"{self.provincial_starts.year}年江苏省职工职业技能大赛"


def today() -> date:
    """The day in Beijing, when the demo is loaded."""
    return (datetime.now(UTC) + timedelta(hours=8)).date()


TIMELINE = Timeline(today())
