"""The one HTTP session every `requests`-based source uses: timeouts, retries, request counting.

Retries live here rather than in urllib3 so that every attempt is counted (the run log and the
benchmarks report requests issued) and `Retry-After` is honoured exactly. 429 and 5xx are retried
with capped exponential backoff and jitter; any other 4xx is the caller's to treat as fatal.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

from ingest.records import as_utc

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 900.0


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A `Retry-After` value as seconds from `now` (a delta or an HTTP date), or None when
    absent or unreadable: a server's odd header must not end the sync."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    at = as_utc(parsed, naive=UTC)  # RFC 9110 dates are GMT
    return max(0.0, (at - (now or datetime.now(UTC))).total_seconds())


class HttpSession(requests.Session):
    """A `requests.Session` with a default timeout, bounded retries and a request counter."""

    def __init__(
        self,
        *,
        timeout: tuple[float, float] = (10.0, 60.0),
        max_retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.requests_issued = 0

    def _backoff(self, attempt: int) -> float:
        delay = min(self.max_backoff, self.backoff * 2**attempt)
        return delay * (0.5 + random.random() / 2)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            self.requests_issued += 1
            try:
                response = super().send(request, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if last:
                    raise
                wait = self._backoff(attempt)
                log.warning(
                    "%s %s failed (%s); retrying in %.1fs",
                    request.method,
                    request.path_url,
                    type(exc).__name__,
                    wait,
                )
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    return response
                # 0 means "now", not "use the backoff".
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                wait = min(
                    MAX_RETRY_AFTER,
                    self._backoff(attempt) if retry_after is None else retry_after,
                )
                log.warning(
                    "%s %s answered %d; retrying in %.1fs",
                    request.method,
                    request.path_url,
                    response.status_code,
                    wait,
                )
                response.close()
            self.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")


__all__ = ["RETRY_STATUSES", "HttpSession", "retry_after_seconds"]
