"""Alembic environment: runs on the connection `ingest.schema.migrate` hands over."""

from alembic import context

import service.tables  # noqa: F401  (registers the case-file tables on the shared metadata)
from ingest.store import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
