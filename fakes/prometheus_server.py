"""A real Prometheus holding given samples, for the connector's tests and the demo.

The Debian `prometheus` package ships `promtool`, which builds TSDB blocks from OpenMetrics text;
a `prometheus` started on those blocks then answers PromQL as production does (lookback, label
matching, its own limits), which no look-alike can promise. Blocks may be up to 720 h long:
promtool re-reads its whole input for every block it writes, so the default 2 h blocks make a
few months of samples take minutes, where 720 h ones take a second. The retention is a century,
so old recordings are not deleted on start.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from fakes.prometheus import FakeSeries, format_value
from fakes.server import free_port

Series = tuple[str, tuple[tuple[str, str], ...]]  # metric name, sorted labels
Samples = Mapping[Series, Sequence[tuple[float, str]]]  # series → (Unix second, value) in order
READY_SECONDS = 30
STOP_SECONDS = 10


class PrometheusStartError(RuntimeError):
    """The blocks could not be built, or the server exited or never became ready."""


def installed() -> bool:
    return bool(shutil.which("prometheus") and shutil.which("promtool"))


def series_samples(series: Iterable[FakeSeries], instants: Iterable[int]) -> dict[Series, list[
        tuple[float, str]]]:
    """The look-alike's series as stored samples: its labels (`__name__` the metric name) and its
    values at `instants`. NaN or no value gives no sample, as a server would hold none there."""
    samples: dict[Series, list[tuple[float, str]]] = {}
    moments = list(instants)
    for one in series:
        labels = dict(one.labels)
        name = labels.pop("__name__")
        values = ((t, one.value(t)) for t in moments)
        samples[(name, tuple(sorted(labels.items())))] = [
            (t, format_value(value)) for t, value in values
            if value is not None and not math.isnan(value)
        ]
    return samples


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def openmetrics(samples: Samples) -> str:
    """OpenMetrics text: one gauge family per metric name, each series' samples in time order."""
    lines: list[str] = []
    for family in sorted({name for name, _ in samples}):
        lines.append(f"# TYPE {family} gauge")
        for (name, labels), values in sorted(samples.items()):
            if name != family:
                continue
            label_text = ",".join(f'{key}="{_escape(value)}"' for key, value in labels)
            lines += [f"{name}{{{label_text}}} {value} {t}" for t, value in values]
    return "\n".join([*lines, "# EOF", ""])


def build_blocks(samples: Samples, workdir: Path) -> Path:
    """TSDB blocks of `samples` in `workdir/data`, ready for `prometheus` to open."""
    source, data = workdir / "samples.om", workdir / "data"
    source.write_text(openmetrics(samples))
    command = ["promtool", "tsdb", "create-blocks-from", "openmetrics", "-q",
               "--max-block-duration=720h", str(source), str(data)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise PrometheusStartError(f"promtool failed: {done.stderr[-2000:]}")
    source.unlink()  # the blocks hold it all now
    return data


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PrometheusStartError(f"prometheus exited: {log_path.read_text()[-2000:]}")
        if _ready(url):
            return
        time.sleep(0.1)
    raise PrometheusStartError(
        f"prometheus not ready after {READY_SECONDS} s: {log_path.read_text()[-2000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running(samples: Samples, workdir: Path) -> Iterator[str]:
    """A `prometheus` serving `samples` from blocks built in `workdir` (which it keeps its log
    in too) on a free local port: its URL until the block ends, then stopped and waited for."""
    data = build_blocks(samples, workdir)
    config = workdir / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    port, log_path = free_port(), workdir / "prometheus.log"
    command = ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={data}",
               "--storage.tsdb.retention.time=100y", f"--web.listen-address=127.0.0.1:{port}"]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, process, log_path)
        yield url
    finally:
        _stop(process)


__all__ = ["PrometheusStartError", "Samples", "Series", "build_blocks", "installed",
           "openmetrics", "running", "series_samples"]
