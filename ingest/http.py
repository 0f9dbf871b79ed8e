"""The one HTTP session every `requests`-based source uses: timeouts, retries, request counting.

Retries live here rather than in urllib3 so that every attempt is counted (the run log and the
benchmarks report requests issued) and `Retry-After` is honoured exactly. 429 and 5xx are retried
with capped exponential backoff and jitter; any other 4xx is the caller's to treat as fatal.

A host that refuses the connection or whose name does not resolve is retried only briefly
(`connect_retries`, seconds in all): it is down or misnamed, and minutes of backoff would only
keep the user waiting for the same answer. Every wait of `LONG_WAIT` seconds or more is logged as
a warning saying what it waits for and until when, so a sync never sits silent.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from ingest.records import as_utc

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 900.0
DEFAULT_TIMEOUT = (10.0, 60.0)  # seconds to connect, seconds to wait for each answer
CONNECT_RETRIES = 2
LONG_WAIT = 5.0
UNREACHABLE = "cannot reach"  # how a failure to get any answer begins, in the run log too


class Unreachable(requests.ConnectionError):
    """No answer from a host at all: the message names it and says why, in words."""


class NotJson(requests.RequestException):
    """A web page where an API answer was expected: a wrong URL, or a login page in between."""


def unreachable_reason(exc: BaseException) -> str:
    """Why a connection failed, in words, from urllib3's nested message."""
    text = str(exc)
    if isinstance(exc, requests.Timeout) or "timed out" in text:
        return "no answer in time"
    if "Connection refused" in text:
        return "connection refused: is the URL's host and port right, and the service up?"
    if any(part in text for part in ("NameResolution", "not known", "name resolution",
                                     "nodename nor servname", "getaddrinfo")):
        return "host name not found: check the URL"
    return text.splitlines()[0][:200]


def describe_failure(exc: BaseException) -> str:
    """A failure as the run log and the user read it: the type says which check failed, except
    for a network failure, whose urllib3 message is unreadable."""
    if isinstance(exc, Unreachable | NotJson):
        return str(exc)
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        host = urlsplit(getattr(exc.request, "url", "") or "").netloc if exc.request else ""
        return f"{UNREACHABLE} {host or 'the server'}: {unreachable_reason(exc)}"
    return f"{type(exc).__name__}: {exc}"


def wait_until(seconds: float, what: str, *, now: datetime | None = None) -> None:
    """Log a wait about to start: a long one as a warning with the clock time it ends."""
    until = (now or datetime.now(UTC)) + timedelta(seconds=seconds)
    level = logging.WARNING if seconds >= LONG_WAIT else logging.DEBUG
    log.log(level, "%s; waiting %.0fs, until %s UTC", what, seconds, f"{until:%H:%M:%S}")


def check_json(response: requests.Response) -> None:
    """Refuse an HTML answer from a JSON API, saying where it came from."""
    refuse_html(response.url, response.status_code, response.headers.get("Content-Type"))


def refuse_html(url: str, status: int, content_type: str | None) -> None:
    """NotJson when an answer from `url` is a web page (its query left out: it may be long)."""
    if (content_type or "").startswith("text/html"):
        parts = urlsplit(url)
        raise NotJson(
            f"HTML from {parts.scheme}://{parts.netloc}{parts.path}, status {status}, where the "
            "API answers JSON: check the source's url (the API's, not a web page) and that no "
            "login page or proxy stands in between"
        )


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
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        max_retries: int = 5,
        connect_retries: int = CONNECT_RETRIES,
        backoff: float = 0.5,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.timeout = timeout
        self.max_retries = max_retries
        self.connect_retries = connect_retries
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
        failed_connections = 0
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            self.requests_issued += 1
            try:
                response = super().send(request, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                refused = not isinstance(exc, requests.ReadTimeout)
                failed_connections += refused
                if last or failed_connections > self.connect_retries:
                    host = urlsplit(request.url or "").netloc
                    raise Unreachable(
                        f"{UNREACHABLE} {host}: {unreachable_reason(exc)}", request=request
                    ) from exc
                wait = min(self._backoff(attempt), 2.0) if refused else self._backoff(attempt)
                what = f"{request.method} {request.path_url} failed ({unreachable_reason(exc)})"
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    check_json(response)
                    return response
                # 0 means "now", not "use the backoff".
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                wait = min(
                    MAX_RETRY_AFTER,
                    self._backoff(attempt) if retry_after is None else retry_after,
                )
                what = f"{request.method} {request.path_url} answered {response.status_code}"
                response.close()
            wait_until(wait, f"{what} (retry {attempt + 1} of {self.max_retries})")
            self.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")


__all__ = [
    "DEFAULT_TIMEOUT",
    "RETRY_STATUSES",
    "UNREACHABLE",
    "HttpSession",
    "NotJson",
    "Unreachable",
    "check_json",
    "describe_failure",
    "refuse_html",
    "retry_after_seconds",
    "wait_until",
]
