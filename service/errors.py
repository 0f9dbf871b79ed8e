"""What went wrong, in one line a user can act on: what failed, where, and what to do.

The shells print `UserError`s as they are; `explain` words the failures that come from outside
the configuration files (the database, the network, the file system) and says "a bug" about the
rest. Every message leaves this module redacted of the secrets the process has read.
"""

from __future__ import annotations

from config.errors import ConfigError
from config.secrets import redact
from ingest.records import FieldError

__all__ = ["UserError", "database_error", "explain"]

BUG = "this is a bug in trackrecord: run the command again with --debug and report what it prints"


class UserError(Exception):
    """A failure the user can fix: the message says what failed, where, and what to do."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def explain(exc: BaseException) -> UserError:
    """Any exception as one redacted line and an exit status; a bug says it is one."""
    explained = exc if isinstance(exc, UserError) else _explained(exc)
    return UserError(redact(str(explained)), exit_code=explained.exit_code)


def _explained(exc: BaseException) -> UserError:
    if isinstance(exc, ConfigError):
        return UserError(str(exc), exit_code=exc.exit_code)
    if isinstance(exc, PermissionError):
        return UserError(f"{exc.filename}: permission denied; choose a folder you can write to, "
                         "or fix its permissions")
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return UserError(f"{where}{exc.strerror.lower()}")
    if any(kind.__module__.startswith("requests") for kind in type(exc).__mro__):
        from ingest.http import describe_failure

        return UserError(describe_failure(exc))
    if type(exc) in (LookupError, ValueError) or isinstance(exc, FieldError):
        return UserError(str(exc), exit_code=2)  # the service's own: "no plan …", "rating: …"
    return UserError(f"unexpected {type(exc).__name__}: {_first_line(exc)} ({BUG})", exit_code=70)


def database_error(exc: Exception, url: str) -> UserError | None:
    """A failure to open the database at `url` in words, or None when it is not one of those.

    The URL is shown without its password; which variable set it is named, as that is where the
    user goes to fix it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError

    fix = "set TRACKRECORD_DATABASE_URL to e.g. sqlite:///var/trackrecord.db or " \
          "postgresql+psycopg://user@host/db"
    if isinstance(exc, NoSuchModuleError | ModuleNotFoundError):  # before: it is an ArgumentError
        kind = url.partition(":")[0]
        return UserError(f"database kind {kind!r} is not supported (or its driver is not "
                         f"installed): {fix}", exit_code=78)
    if isinstance(exc, ArgumentError):
        return UserError(f"the database URL {_shown(url)!r} is not a URL: {fix}", exit_code=78)
    shown = make_url(url).render_as_string(hide_password=True)
    if isinstance(exc, DatabaseError):
        cause = _first_line(getattr(exc, "orig", None) or exc)
        if "file is not a database" in cause or "malformed" in cause:
            return UserError(f"{shown} is not a trackrecord SQLite database (the file is damaged "
                             "or is another kind of file): restore it from a backup or point "
                             "TRACKRECORD_DATABASE_URL at another file")
        return UserError(f"cannot open the database {shown}: {cause}; check that it runs and "
                         "that TRACKRECORD_DATABASE_URL is right")
    if type(exc).__name__ == "CommandError" and "Can't locate revision" in str(exc):
        return UserError(f"the database {shown} has a schema revision this trackrecord does not "
                         "know (written by a newer version?): upgrade trackrecord, or use "
                         "another database")
    return None


def _shown(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
