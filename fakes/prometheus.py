"""A fake Prometheus answering `/api/v1/query_range` with generated series, for the demo.

Where no `prometheus` binary is installed the demo serves its series with this, in the same JSON
shape, from functions of time (`fakes.prometheus_server` backfills the same values into a real
one). Queries are matched by their exact text (a query nobody configured goes unanswered, which
the tests count); values are deterministic per (seed, series, instant), so re-reads agree. The
connector's own tests run against a real Prometheus; these fakes cover auth and odd values.
"""

from __future__ import annotations

import base64
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs

from fakes.server import Request, Response

MAX_RESOLUTION = 11_000  # Prometheus: (end - start) / step may not exceed this
RESOLUTION_ERROR = (
    "exceeded maximum resolution of 11,000 points per timeseries. "
    "Try decreasing the query resolution (?step=XX)"
)

Value = Callable[[int], float | None]  # the value at a Unix second; None: no sample there


@dataclass(frozen=True)
class FakeSeries:
    labels: dict[str, str]
    value: Value


def _noise(*parts: object) -> float:
    return random.Random(":".join(map(str, parts))).random()


def error_ratio(
    service: str,
    *,
    name: str = "error_ratio",
    base: float | Callable[[int], float] = 0.01,
    seed: int = 0,
    idle_hours: int = 0,
) -> FakeSeries:
    """An error ratio around `base` (a level, or one per Unix second, for a service that gets
    worse or better), named `name` as a recording rule's output is; the first `idle_hours` of
    each day have no traffic (NaN)."""
    level = base if callable(base) else lambda _t: base

    def value(t: int) -> float:
        if (t % 86_400) < idle_hours * 3600:
            return math.nan
        return round(level(t) * 2 * _noise(seed, service, t), 6)

    return FakeSeries({"__name__": name, "service": service}, value)


def up(
    instance: str, *, job: str = "api", down_fraction: float = 0.05, seed: int = 0
) -> FakeSeries:
    """An `up` series that is down for whole hours, a `down_fraction` of them."""

    def value(t: int) -> float:
        return 0.0 if _noise(seed, instance, t // 3600) < down_fraction else 1.0

    return FakeSeries({"__name__": "up", "instance": instance, "job": job}, value)


def format_value(value: float) -> str:
    """As Prometheus writes sample values: NaN, +Inf, -Inf, or the shortest decimal."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if value.is_integer() else repr(value)


def _error(status: int, error_type: str, message: str) -> Response:
    return Response(status, {"status": "error", "errorType": error_type, "error": message})


class PrometheusFake:
    """A handler for `fakes.server.serving`: query text → the series it returns."""

    def __init__(
        self,
        queries: Mapping[str, Sequence[FakeSeries]],
        *,
        token: str | None = None,
        basic: tuple[str, str] | None = None,
    ) -> None:
        self.queries = queries
        self.expected_auth = None
        if token is not None:
            self.expected_auth = f"Bearer {token}"
        elif basic is not None:
            self.expected_auth = "Basic " + base64.b64encode(":".join(basic).encode()).decode()

    def __call__(self, request: Request) -> Response | None:
        if request.path != "/api/v1/query_range":
            return None
        if self.expected_auth and request.headers.get("authorization") != self.expected_auth:
            return Response(401, "Unauthorized\n", {"Content-Type": "text/plain"})
        args = _form(request)
        series = self.queries.get(args.get("query", ""))
        if series is None:
            return None
        try:
            start, end, step = (float(args[name]) for name in ("start", "end", "step"))
        except (KeyError, ValueError) as exc:
            return _error(400, "bad_data", f"invalid parameter: {exc}")
        if (end - start) / step > MAX_RESOLUTION:
            return _error(400, "bad_data", RESOLUTION_ERROR)
        result = [_evaluate(s, start, end, step) for s in series]
        matrix = [r for r in result if r["values"]]
        return Response(
            200, {"status": "success", "data": {"resultType": "matrix", "result": matrix}}
        )


def _form(request: Request) -> dict[str, str]:
    """GET query string or POST form, as Prometheus accepts both."""
    merged = {name: values[-1] for name, values in request.query.items()}
    if request.method == "POST" and request.body:
        body = parse_qs(request.body.decode(), keep_blank_values=True)
        merged.update({name: values[-1] for name, values in body.items()})
    return merged


def _evaluate(series: FakeSeries, start: float, end: float, step: float) -> dict[str, object]:
    values = []
    count = int((end - start) // step) + 1
    for index in range(count):
        t = start + index * step
        value = series.value(int(t))
        if value is not None:
            values.append([int(t) if t.is_integer() else t, format_value(value)])
    return {"metric": dict(series.labels), "values": values}


__all__ = [
    "MAX_RESOLUTION",
    "FakeSeries",
    "PrometheusFake",
    "error_ratio",
    "format_value",
    "up",
]
