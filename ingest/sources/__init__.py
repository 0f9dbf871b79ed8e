"""One module per source kind, each with a `connector`; `connector.py` finds them by `kind`."""

from __future__ import annotations

from ingest.sources.connector import SyncContext, connector_for, streams_for

__all__ = ["SyncContext", "connector_for", "streams_for"]
