"""A person's metrics over time (the person page): every metric that applies to them as weekly
values over recent weeks, beside the rest of their team's, for a manager preparing a plan.

The weeks are measured exactly as a trend chart's (`EventIndex.measure_weekly`, `WeeklySeries`):
seven days each, ending on the as-of day, in each metric's default statistic, with no exclusions
(no plan has defined any yet). A metric applies when the person's role template names it
(DESIGN §3, the "role" column, context-only metrics included) or when the person has events of
it in these weeks. Pure: a catalog of evidence in, series out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from config.people import Person
from config.plans import Sustain
from evaluate.catalog import EventCatalog
from evaluate.measure import SeriesRequest
from evaluate.metrics import METRICS, MetricSpec, metric_spec
from evaluate.results import WeeklySeries, WeekPoint
from evaluate.windows import NO_EXCLUSIONS, recent_weeks

__all__ = ["HISTORY_WEEKS", "MetricHistory", "person_history"]

HISTORY_WEEKS = 26
MIN_EVENTS = Sustain().min_events  # a week with fewer is drawn "too few", as on a trend chart


@dataclass(frozen=True)
class MetricHistory:
    """One metric's weeks for the person, with the rest of the team's in the same weeks."""

    spec: MetricSpec
    series: WeeklySeries

    @property
    def weekly(self) -> tuple[WeekPoint, ...]:
        return self.series.points

    @property
    def events(self) -> int:
        """The person's events over all the weeks (for a point-in-time count, the sum of the
        weeks' counts)."""
        return int(self.series.person.n.sum())


def person_history(catalog: EventCatalog, person: Person, *, as_of: date,
                   weeks: int = HISTORY_WEEKS) -> list[MetricHistory]:
    """Each applicable metric's last `weeks` weeks up to `as_of`, in catalog order, ratings
    last by name."""
    span = recent_weeks(as_of, weeks, catalog.tz)
    found = []
    for spec in (*METRICS.values(), *_ratings(catalog, person)):
        own, team = catalog.index(spec.name).measure_weekly(
            [SeriesRequest(person.id, span, NO_EXCLUSIONS),
             SeriesRequest(person.id, span, NO_EXCLUSIONS, team=person.team)], spec.statistic)
        if person.role in spec.roles or own.n.any():
            found.append(MetricHistory(spec, WeeklySeries(span, own, team, spec.statistic,
                                                          MIN_EVENTS)))
    return found


def _ratings(catalog: EventCatalog, person: Person) -> list[MetricSpec]:
    """A `rating:NAME` metric for each name the person has been rated on."""
    ratings = catalog.reader.frame("rating", ("person", "name"))
    rated = ratings.loc[ratings["person"].eq(person.id), "name"].dropna().unique()
    return [metric_spec(f"rating:{name}") for name in sorted(map(str, rated))]
