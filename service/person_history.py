"""A person's metrics over time, for the person page: gathered from their team's records alone
(`team_catalog`), measured and drawn by the pure core (`evaluate.history`, `history_chart`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from evaluate.catalog import EventCatalog
from evaluate.charts import Figure, history_chart
from evaluate.history import HISTORY_WEEKS, MetricHistory, person_history
from evaluate.metrics import quantity
from evaluate.sentences import history_sentence
from service.evaluations import team_catalog
from service.workspace import Workspace

__all__ = ["MetricChart", "MetricsOverTime", "metrics_over_time"]


@dataclass(frozen=True)
class MetricChart:
    history: MetricHistory
    figure: Figure
    sentence: str  # the chart's text alternative


@dataclass(frozen=True)
class MetricsOverTime:
    as_of: date
    weeks: int
    charts: list[MetricChart]  # the metrics with events in these weeks
    without_events: list[str]  # the metrics of the role with none, in words

    @property
    def has_evidence(self) -> bool:
        return bool(self.charts)


def metrics_over_time(ws: Workspace, person: str, *, as_of: date,
                      catalog: EventCatalog | None = None, weeks: int = HISTORY_WEEKS
                      ) -> MetricsOverTime:
    """Every metric that applies to the person, week by week up to `as_of`, beside the rest of
    their team; LookupError for a person not in people.yaml."""
    found = ws.person(person)
    catalog = catalog or team_catalog(ws, person)
    histories = person_history(catalog, found, as_of=as_of, weeks=weeks)
    zone = ws.settings.timezone
    return MetricsOverTime(
        as_of, weeks,
        [MetricChart(h, history_chart(h, zone=zone), history_sentence(h))
         for h in histories if h.events],
        [quantity(h.spec.name, h.spec.statistic).title for h in histories if not h.events],
    )
