"""When generated work arrives: more on weekdays than at weekends, more in office hours than at
night, little on holidays, and some weeks busier than others, as a team's tickets, pull
requests and incidents do. The generators take the times this gives (`created=`).

Each day's arrivals come from their own seed (the seed and the day's distance from the start),
and so does each week's load: a history that ends later gains days and changes none before
them, so a story told as of a day stays the same whatever day the history runs up to.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

OFFICE_HOURS = tuple(
    1.0 if 9 <= hour < 18 else 0.4 if hour in (7, 8, 18, 19) else 0.04 for hour in range(24)
)
AROUND_THE_CLOCK = (1.0,) * 24


@dataclass(frozen=True)
class Rhythm:
    """`weekdays`: the relative load of each day of the week, Monday first; `hours`: of each
    hour of the day; `quiet`: a factor for chosen days (a holiday, a lull); `weekly_noise`: the
    spread (log-normal sigma) of one week's load around the usual."""

    weekdays: tuple[float, ...] = (1.0, 1.1, 1.05, 1.0, 0.8, 0.12, 0.08)
    hours: tuple[float, ...] = OFFICE_HOURS
    quiet: Mapping[date, float] = field(default_factory=dict)
    weekly_noise: float = 0.15

    def weight(self, day: date) -> float:
        return self.weekdays[day.weekday()] * self.quiet.get(day, 1.0)

    def arrivals(self, per_day: float, start: datetime, end: datetime, *, seed: int
                 ) -> list[datetime]:
        """Arrival times in [start, end), oldest first: `per_day` a day on average, on a day
        of weight 1 in a usual week (a Poisson count each day)."""
        first = start.date()
        times: list[datetime] = []
        for offset in range((end.date() - first).days + 1):
            day = first + timedelta(days=offset)
            week = random.Random(f"{seed}:week:{offset // 7}")
            load = per_day * self.weight(day) * week.lognormvariate(0, self.weekly_noise)
            rng = random.Random(f"{seed}:day:{offset}")
            moments = [
                datetime.combine(day, time(rng.choices(range(24), weights=self.hours)[0]),
                                 start.tzinfo) + timedelta(seconds=rng.randrange(3600))
                for _ in range(_poisson(rng, load))
            ]
            times.extend(sorted(m for m in moments if start <= m < end))
        return times


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the few dozen a day a team sees."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


__all__ = ["AROUND_THE_CLOCK", "OFFICE_HOURS", "Rhythm"]
