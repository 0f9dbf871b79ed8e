"""Each metric's events for one body of evidence, derived and indexed on first use.

Deriving events (rebuilding ticket histories, joining reviews to pull requests) costs far more
than evaluating a plan, and depends only on the evidence, the people and the zone. Build one
catalog per evidence load and hand it to every evaluation of that evidence — checkpoints,
snapshots, a dashboard refresh — so they share the work. It never changes the evidence.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from zoneinfo import ZoneInfo

from config.people import Person
from evaluate.evidence import Evidence, EvidenceReader
from evaluate.measure import EventIndex
from evaluate.metrics import metric_events

__all__ = ["EventCatalog"]

ParamsKey = tuple[tuple[str, object], ...]


class EventCatalog:
    def __init__(self, evidence: Evidence, *, people: Sequence[Person], tz: ZoneInfo) -> None:
        self.reader = EvidenceReader(evidence, tz)
        self.people = tuple(people)
        self.tz = tz
        self._indexes: dict[Hashable, EventIndex] = {}

    def matches(self, evidence: Evidence, people: Sequence[Person], tz: ZoneInfo) -> bool:
        """Built from these very inputs (the evidence by identity: frames are not compared)."""
        return self.reader.evidence is evidence and self.people == tuple(people) and self.tz == tz

    def index(self, metric: str, params: ParamsKey = ()) -> EventIndex:
        """The metric's events, sorted for window look-ups; `params` as sorted (name, value)."""
        if (metric, params) not in self._indexes:
            events = metric_events(metric, self.reader, params=dict(params))
            self._indexes[metric, params] = EventIndex(events, self.people)
        return self._indexes[metric, params]
