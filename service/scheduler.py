"""The scheduler (DESIGN §6): each source on its `schedule` cron, the weekly snapshots and the
daily checkpoint snapshots, with APScheduler 3 and its job store in the same database.

Any number of replicas may run. Each job run first takes the job's PostgreSQL advisory lock
(`pg_try_advisory_lock`: a replica that finds it held leaves the run to the holder), then claims
the trigger time in `job_runs`, whose (job, scheduled_for) is unique: a replica that comes late,
after the holder has finished and released the lock, finds the run claimed. So each trigger runs
once, on SQLite as on PostgreSQL, and every run is logged with its outcome.

Job functions are module-level (the job store keeps a reference to them); the executor hands
each run the trigger time it fired for and how to open the workspace, which the store never
holds (the database URL may carry a password).
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from ingest.store import SCHEMA_LOCK, lock_exclusively
from service.snapshots import checkpoint_snapshots, snapshot
from service.syncing import sync
from service.tables import job_runs
from service.weekly_email import send_weekly_email
from service.workspace import Workspace, open_workspace

__all__ = [
    "MISFIRE_GRACE_SECONDS",
    "JobContext",
    "SchedulerHandle",
    "build_scheduler",
    "cron_trigger",
    "install_jobs",
    "job_triggers",
    "last_runs",
    "run_job",
    "start_background_scheduler",
]

log = logging.getLogger(__name__)

SNAPSHOTS, CHECKPOINTS, SYNC = "snapshots", "checkpoints", "sync:"
# A run missed by up to an hour (a restart, a long sync before it) still runs, once (coalesce).
MISFIRE_GRACE_SECONDS = 3600
JOBS_TABLE = "apscheduler_jobs"
_LOCK_PREFIX = 0x74726B72 << 32  # "trkr", as the keys in ingest.store
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday_field(field: str) -> str:
    """Cron counts weekdays from Sunday = 0 (7 too); APScheduler 3 from Monday = 0. Numbers
    become names, ranges and steps explicit lists, so `1-5` means Monday to Friday as in cron."""
    atoms = []
    for atom in field.split(","):
        match = re.fullmatch(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?", atom)
        if match is None:  # names (mon-fri) mean the same in both
            atoms.append(atom)
            continue
        start, end, step = match.groups()
        first, last = (0, 6) if start == "*" else (int(start), int(end or start))
        if start == "*" and step is None:
            atoms.append("*")
            continue
        if end is None and step is not None and start != "*":
            last = 6
        atoms += [_WEEKDAYS[day] for day in range(first, last + 1, int(step or 1))]
    return ",".join(dict.fromkeys(atoms))


def cron_trigger(expression: str, zone: ZoneInfo) -> CronTrigger:
    """A standard 5-field cron, read in `zone`."""
    minute, hour, day, month, weekday = expression.split()
    return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                       day_of_week=_weekday_field(weekday), timezone=zone)


def stale_after(ws: Workspace) -> dict[str, timedelta]:
    """Per source with a `schedule`, the age past which its data is stale (UI.md): twice the
    longest wait between two of its runs. A source without a schedule syncs when someone runs
    it: never stale."""
    zone = ws.settings.zone
    limits = {source.name: _longest_wait(source.schedule, zone)
              for source in ws.config.sources.sources if source.schedule}
    return {name: 2 * wait for name, wait in limits.items() if wait is not None}


@lru_cache(maxsize=64)
def _longest_wait(schedule: str, zone: ZoneInfo) -> timedelta | None:
    """The longest wait between runs over a whole week of them from a fixed Monday (so a
    weekday-only schedule waits over the weekend), or between the first two for a rarer one:
    the same answer whenever a page asks, worked out once per schedule."""
    trigger, start = cron_trigger(schedule, zone), datetime(2024, 1, 1, tzinfo=zone)
    fires: list[datetime] = []
    at = trigger.get_next_fire_time(None, start)
    while at is not None and (len(fires) < 2 or at - start <= timedelta(days=8)):
        fires.append(at)
        at = trigger.get_next_fire_time(at, at + timedelta(seconds=1))
    return max((later - earlier for earlier, later in pairwise(fires)), default=None)


def job_triggers(ws: Workspace) -> dict[str, CronTrigger]:
    """Every job the configuration asks for: a sync per source with a `schedule`, the weekly
    snapshots, and the daily checkpoint snapshots (at the weekly job's minute and hour)."""
    zone, weekly = ws.settings.zone, ws.settings.snapshot_schedule
    minute, hour = weekly.split()[:2]
    triggers = {f"{SYNC}{s.name}": cron_trigger(s.schedule, zone)
                for s in ws.config.sources.sources if s.schedule}
    triggers[SNAPSHOTS] = cron_trigger(weekly, zone)
    triggers[CHECKPOINTS] = cron_trigger(f"{minute} {hour} * * *", zone)
    return triggers


@dataclass(frozen=True)
class JobContext:
    """What a run needs that the job store must not hold: how to open the workspace (anew for
    each run, so edited plan files are read)."""

    open_workspace: Callable[[], Workspace]


def run_job(job: str, *, context: JobContext | None = None,
            scheduled_for: datetime | None = None) -> None:
    """One run of a job for the trigger time it fired for, once across all replicas. The
    executor supplies both keywords (they default to None only so the job store accepts the
    job without them)."""
    if context is None or scheduled_for is None:
        raise TypeError("run_job runs through the scheduler's executor, which supplies "
                        "context and scheduled_for")
    ws = context.open_workspace()
    with _job_lock(ws.engine, job) as held:
        if not held:
            log.info("%s: another replica is running it", job)
            return
        run_id = _claim(ws.engine, job, scheduled_for)
        if run_id is None:
            log.info("%s at %s: already run by another replica", job, scheduled_for)
            return
        try:
            _perform(ws, job, scheduled_for)
        except Exception as exc:
            log.exception("%s failed", job)
            _finish(ws.engine, run_id, "error", f"{type(exc).__name__}: {exc}")
        else:
            _finish(ws.engine, run_id, "ok", None)


def _perform(ws: Workspace, job: str, scheduled_for: datetime) -> None:
    """A scheduled snapshot judges the day before its run: the run day has barely begun."""
    yesterday = scheduled_for.astimezone(ws.settings.zone).date() - timedelta(days=1)
    if job.startswith(SYNC):
        failed = [s.line() for s in sync(ws, job.removeprefix(SYNC)) if s.error]
        if failed:
            raise RuntimeError("; ".join(failed))
    elif job == SNAPSHOTS:
        taken = snapshot(ws, as_of=yesterday, kind="scheduled")
        send_weekly_email(ws, [s for s in taken if s.as_of == yesterday])
    elif job == CHECKPOINTS:
        checkpoint_snapshots(ws, yesterday)
    else:
        raise LookupError(f"unknown job {job!r}")


def _lock_key(job: str) -> int:
    return _LOCK_PREFIX | zlib.crc32(job.encode())


@contextmanager
def _job_lock(engine: Engine, job: str) -> Iterator[bool]:
    """Hold the job's advisory lock for the run, if no one else does (PostgreSQL; on SQLite a
    single process runs the scheduler and the claim in `job_runs` suffices)."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = _lock_key(job)
    with engine.connect() as conn:
        held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        try:
            yield held
        finally:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()


def _claim(engine: Engine, job: str, scheduled_for: datetime) -> int | None:
    try:
        with engine.begin() as conn:
            result = conn.execute(insert(job_runs).values(
                job=job, scheduled_for=scheduled_for, started=datetime.now(UTC),
                outcome="running"))
            return int(result.inserted_primary_key[0])  # type: ignore[index]
    except IntegrityError:
        return None


def _finish(engine: Engine, run_id: int, outcome: str, error: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(update(job_runs).where(job_runs.c.id == run_id).values(
            finished=datetime.now(UTC), outcome=outcome, error=error))


class _ContextExecutor(ThreadPoolExecutor):  # type: ignore[misc]
    """Hands each run its trigger time and the job context (never stored with the job)."""

    def __init__(self, context: JobContext) -> None:
        super().__init__(max_workers=4)
        self._context = context

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        bound = Job.__new__(Job)
        bound.__setstate__(job.__getstate__())
        bound._scheduler, bound._jobstore_alias = job._scheduler, job._jobstore_alias
        bound.kwargs = {**job.kwargs, "context": self._context, "scheduled_for": run_times[-1]}
        super()._do_submit_job(bound, run_times[-1:])


def build_scheduler(ws: Workspace, context: JobContext) -> BackgroundScheduler:
    """A scheduler on the workspace's database, not started, with the project's job rules.
    The job store's table is created here, under the schema lock, so replicas starting
    together do not race to create it."""
    store = SQLAlchemyJobStore(engine=ws.engine, tablename=JOBS_TABLE)
    with ws.engine.begin() as conn:
        lock_exclusively(conn, SCHEMA_LOCK)
        store.jobs_t.create(conn, checkfirst=True)
    return BackgroundScheduler(
        jobstores={"default": store},
        executors={"default": _ContextExecutor(context)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        timezone=ws.settings.zone,
    )


def install_jobs(scheduler: BackgroundScheduler, triggers: dict[str, CronTrigger]) -> None:
    """Add each configured job; one already stored on the same trigger is kept as it is, so a
    run missed while no scheduler ran still comes (once); jobs no longer configured go."""
    for job in scheduler.get_jobs():
        if job.id not in triggers:
            job.remove()
    for job_id, trigger in triggers.items():
        stored = scheduler.get_job(job_id)
        if stored is None or str(stored.trigger) != str(trigger):
            scheduler.add_job(run_job, trigger, id=job_id, name=job_id, args=[job_id],
                              replace_existing=True)


@dataclass
class SchedulerHandle:
    scheduler: BackgroundScheduler

    def jobs(self) -> list[tuple[str, datetime | None]]:
        """Each job with its next run time."""
        return [(job.id, job.next_run_time) for job in self.scheduler.get_jobs()]

    def stop(self) -> None:
        """Stop taking runs and wait for the running ones to finish."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)


def start_background_scheduler(ws: Workspace, *, context: JobContext | None = None
                               ) -> SchedulerHandle:
    """Run the jobs in background threads of this process (`trackrecord scheduler`, or the web
    app in a single-process setup) until the handle is stopped."""
    settings: dict[str, Any] = {"database_url": ws.settings.database_url}
    context = context or JobContext(lambda: open_workspace(ws.settings.config_dir, **settings))
    scheduler = build_scheduler(ws, context)
    scheduler.start(paused=True)
    install_jobs(scheduler, job_triggers(ws))
    scheduler.resume()
    return SchedulerHandle(scheduler)


def last_runs(ws: Workspace, job: str | None = None) -> list[dict[str, Any]]:
    """The run log, newest first."""
    query = select(job_runs).order_by(job_runs.c.id.desc())
    if job is not None:
        query = query.where(job_runs.c.job == job)
    with ws.engine.connect() as conn:
        return [row._asdict() for row in conn.execute(query)]
