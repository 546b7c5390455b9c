"""Runs as Prometheus metrics: an OpenMetrics text file, and a Pushgateway push.

Two producers share one set of metric definitions, so a Pushgateway (which
rejects a push whose HELP or TYPE disagrees with metrics it already holds) and
a dashboard see one vocabulary:

- ``testgate monitor`` exports each smoke check (:func:`export_monitor_run`);
- ``testgate report`` exports its totals (:func:`export_report_totals`), so
  dashboards show the pass rate of CI runs over time too.

Every sample is labelled with ``environment`` and ``service``; per-check
samples add ``check`` (the test id), totals add ``outcome``. A push replaces the
group ``job/<job>/environment/<env>/service/<service>/source/<monitor|report>``.

The library never prints: a push that fails is returned in
:class:`MetricsExport` so that the command can report it and still exit with
the result of the checks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from prometheus_client import CollectorRegistry, push_to_gateway
from prometheus_client.exposition import basic_auth_handler, default_handler
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from testgate.errors import ConfigError, ToolError
from testgate.files import write_bytes
from testgate.monitor import MonitorRun

DEFAULT_JOB = "testgate"
DEFAULT_TIMEOUT = 10.0

# name -> help text: the one place a metric is described (both producers use it).
HELP = {
    "testgate_check_success": "1 when the smoke check passed in the last run, else 0",
    "testgate_check_duration_seconds": "Latency of the smoke check in the last run (pytest call phase)",
    "testgate_checks": "Smoke checks run by testgate monitor, by outcome (cumulative across runs)",
    "testgate_tests": "Tests in the last run, by outcome",
    "testgate_tests_flaky": "Tests in the last run that passed only on a retry",
    "testgate_tests_quarantined": "Tests in the last run whose result the gate ignored (quarantine)",
    "testgate_run_success": "1 when the last run passed its gate, else 0 (undecided is 0)",
    "testgate_run_duration_seconds": "Duration of the last run",
    "testgate_run_timestamp_seconds": "When the last run started, as a Unix time",
}

_RUN_LABELS = ["environment", "service"]
_OUTCOMES = ("passed", "failed", "error", "skipped")
# Report JSON totals key -> outcome label.
_TOTALS_KEYS = {"passed": "passed", "failed": "failed", "errors": "error", "skipped": "skipped"}


@dataclass(frozen=True)
class MetricsExport:
    """Where a run's metrics went.

    Attributes:
        textfile: the OpenMetrics file written, or None when none was asked for.
        pushed_to: the Pushgateway (URL without credentials) pushed to, or None.
        push_error: why the push failed ("" when it did not fail or was not asked for).
    """

    textfile: Path | None
    pushed_to: str | None = None
    push_error: str = ""

    @property
    def ok(self) -> bool:
        """True when everything asked for was delivered."""
        return not self.push_error


class _Snapshot:
    """A collector holding fixed metric families (one run, no process metrics)."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        yield from self._families


def _gauge(name: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, HELP[name], labels=labels)


def _run_families(
    environment: str,
    service: str,
    totals: Mapping[str, float],
    *,
    passed: bool,
    started_at: datetime | None,
    duration: float | None,
) -> list[Metric]:
    base = [environment, service]
    tests = _gauge("testgate_tests", [*_RUN_LABELS, "outcome"])
    for key, outcome in _TOTALS_KEYS.items():
        tests.add_metric([*base, outcome], float(totals.get(key, 0) or 0))
    flaky = _gauge("testgate_tests_flaky", _RUN_LABELS)
    flaky.add_metric(base, float(totals.get("flaky", 0) or 0))
    quarantined = _gauge("testgate_tests_quarantined", _RUN_LABELS)
    quarantined.add_metric(base, float(totals.get("quarantined", 0) or 0))
    success = _gauge("testgate_run_success", _RUN_LABELS)
    success.add_metric(base, 1.0 if passed else 0.0)
    families: list[Metric] = [tests, flaky, quarantined, success]
    if duration is not None:
        elapsed = _gauge("testgate_run_duration_seconds", _RUN_LABELS)
        elapsed.add_metric(base, float(duration))
        families.append(elapsed)
    if started_at is not None:
        stamp = _gauge("testgate_run_timestamp_seconds", _RUN_LABELS)
        stamp.add_metric(base, started_at.timestamp())
        families.append(stamp)
    return families


def monitor_registry(
    run: MonitorRun, cumulative: Mapping[str, int] | None = None
) -> CollectorRegistry:
    """The metrics of one monitor run.

    Args:
        run: the monitor run.
        cumulative: checks run so far by outcome (``passed``/``failed``/``error``/
            ``skipped``), this run included, from the state that travels between
            runs; None counts this run only (a counter reset, which Prometheus handles).
    """
    base = [run.environment, run.service]
    success = _gauge("testgate_check_success", [*_RUN_LABELS, "check"])
    duration = _gauge("testgate_check_duration_seconds", [*_RUN_LABELS, "check"])
    for check in run.checks:
        if check.outcome == "skipped":
            continue  # a skipped check says nothing about the service
        success.add_metric([*base, check.check], 1.0 if check.success else 0.0)
        duration.add_metric([*base, check.check], check.duration)
    counts = dict(cumulative) if cumulative is not None else count_by_outcome(run)
    checks = CounterMetricFamily(
        "testgate_checks", HELP["testgate_checks"], labels=[*_RUN_LABELS, "outcome"]
    )
    for outcome in _OUTCOMES:
        checks.add_metric([*base, outcome], float(counts.get(outcome, 0)))
    families = [success, duration, checks]
    families += _run_families(
        run.environment,
        run.service,
        run.totals,
        passed=run.passed,
        started_at=run.started_at,
        duration=run.elapsed,
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(families))
    return registry


def count_by_outcome(run: MonitorRun) -> dict[str, int]:
    """This run's checks by outcome label (``passed``, ``failed``, ``error``, ``skipped``)."""
    counts = dict.fromkeys(_OUTCOMES, 0)
    for check in run.checks:
        counts[check.outcome] += 1
    return counts


def report_registry(
    totals: Mapping[str, float],
    *,
    environment: str,
    service: str,
    passed: bool,
    generated_at: datetime | None = None,
) -> CollectorRegistry:
    """The metrics of one report: its totals by outcome and its decision.

    Args:
        totals: the report JSON's ``totals`` (``passed``, ``failed``, ``errors``,
            ``skipped``, ``flaky``, ``quarantined``, ``time``).
        environment: the environment label (``ci`` for a pipeline run, or the target).
        service: the service label.
        passed: the report's decision.
        generated_at: when the report was made (``testgate_run_timestamp_seconds``).
    """
    time_total = totals.get("time")
    families = _run_families(
        environment,
        service,
        totals,
        passed=passed,
        started_at=generated_at,
        duration=float(time_total) if time_total is not None else None,
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(families))
    return registry


def render_openmetrics(registry: CollectorRegistry) -> str:
    """The registry in the OpenMetrics text format (ends with ``# EOF``)."""
    return generate_openmetrics(registry).decode("utf-8")


def write_openmetrics(registry: CollectorRegistry, path: Path) -> Path:
    """Write the registry as an OpenMetrics text file, atomically.

    Raises:
        ConfigError: the path is a folder or cannot be written.
        ToolError: the disk is full or another I/O error happened.
    """
    return write_bytes(path, generate_openmetrics(registry), what="metrics file")


def redact_url(url: str) -> str:
    """``url`` without user, password, query or fragment (safe to print)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def check_gateway_url(url: str) -> str:
    """Validate a Pushgateway URL (``http(s)://host[:port][/prefix]``).

    Raises:
        ConfigError: it is not an http(s) URL.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"pushgateway URL {redact_url(url)!r} is not an http(s) URL",
            hint="pass --pushgateway-url http://host:9091 (or set TESTGATE_PUSHGATEWAY_URL)",
        )
    return url


def push_registry(
    registry: CollectorRegistry,
    gateway_url: str,
    *,
    grouping_key: Mapping[str, str],
    job: str = DEFAULT_JOB,
    timeout: float = DEFAULT_TIMEOUT,
) -> None:
    """PUT the registry to a Pushgateway, replacing the group's previous push.

    Raises:
        ConfigError: the URL is not http(s).
        ToolError: the Pushgateway is unreachable or refused the push.
    """
    check_gateway_url(gateway_url)
    parts = urlsplit(gateway_url)
    handler = default_handler
    if parts.username:
        # user:password@ in the URL becomes HTTP basic auth (urllib would choke on it).
        user, password = unquote(parts.username), unquote(parts.password or "")

        def handler(url, method, timeout, headers, data):  # type: ignore[no-redef]
            return basic_auth_handler(url, method, timeout, headers, data, user, password)

    try:
        push_to_gateway(
            redact_url(gateway_url),
            job=job,
            registry=registry,
            grouping_key=dict(grouping_key),
            timeout=timeout,
            handler=handler,
        )
    except Exception as exc:  # urllib raises URLError/HTTPError/OSError/ValueError
        detail = getattr(exc, "reason", None) or exc
        code = getattr(exc, "code", None)
        what = f"HTTP {code}" if code else f"{type(exc).__name__}: {detail}"
        raise ToolError(
            f"push to Pushgateway {redact_url(gateway_url)} failed ({what})",
            hint="check that the Pushgateway is up and the URL (TESTGATE_PUSHGATEWAY_URL) is right",
        ) from exc


def export_registry(
    registry: CollectorRegistry,
    *,
    textfile: Path | None,
    pushgateway_url: str | None,
    grouping_key: Mapping[str, str],
    job: str = DEFAULT_JOB,
    timeout: float = DEFAULT_TIMEOUT,
) -> MetricsExport:
    """Write the text file (if asked) and push (if a gateway is set).

    A failed push does not raise: it is returned in ``push_error``.

    Raises:
        ToolError: the text file cannot be written.
        ConfigError: the Pushgateway URL is not an http(s) URL.
    """
    if textfile is not None:
        write_openmetrics(registry, textfile)
    if not pushgateway_url:
        return MetricsExport(textfile=textfile)
    check_gateway_url(pushgateway_url)
    try:
        push_registry(
            registry, pushgateway_url, grouping_key=grouping_key, job=job, timeout=timeout
        )
    except ToolError as exc:
        return MetricsExport(textfile, redact_url(pushgateway_url), exc.message)
    return MetricsExport(textfile, redact_url(pushgateway_url))


def export_monitor_run(
    run: MonitorRun,
    *,
    textfile: Path | None,
    pushgateway_url: str | None = None,
    cumulative: Mapping[str, int] | None = None,
    job: str = DEFAULT_JOB,
    timeout: float = DEFAULT_TIMEOUT,
) -> MetricsExport:
    """Export a monitor run: the OpenMetrics file and, if set, a Pushgateway push."""
    return export_registry(
        monitor_registry(run, cumulative),
        textfile=textfile,
        pushgateway_url=pushgateway_url,
        grouping_key={"environment": run.environment, "service": run.service, "source": "monitor"},
        job=job,
        timeout=timeout,
    )


def export_report_totals(
    totals: Mapping[str, float],
    *,
    environment: str,
    service: str,
    passed: bool,
    textfile: Path | None,
    pushgateway_url: str | None = None,
    generated_at: datetime | None = None,
    job: str = DEFAULT_JOB,
    timeout: float = DEFAULT_TIMEOUT,
) -> MetricsExport:
    """Export a report's totals the way the monitor exports its checks.

    For ``testgate report``: call it with the report JSON's ``totals`` and
    ``passed``; it writes ``textfile`` (OpenMetrics) and, when
    ``pushgateway_url`` is set, pushes to the group ``source=report``.
    A failed push comes back in ``push_error`` (report it; it must not
    change the gate's exit code).

    Args:
        totals: the report JSON's ``totals``.
        environment: the environment label (for example ``TESTGATE_ENV``, or ``ci``).
        service: the service label (the pacticipant or repository name).
        passed: the report's decision.
        textfile: where to write the OpenMetrics file (None: no file).
        pushgateway_url: the Pushgateway, or None not to push.
        generated_at: the report's ``generated_at`` time.
        job: the Pushgateway job name.
        timeout: seconds to wait for the Pushgateway.

    Raises:
        ToolError: the text file cannot be written.
        ConfigError: the Pushgateway URL is not an http(s) URL.
    """
    return export_registry(
        report_registry(
            totals,
            environment=environment,
            service=service,
            passed=passed,
            generated_at=generated_at,
        ),
        textfile=textfile,
        pushgateway_url=pushgateway_url,
        grouping_key={"environment": environment, "service": service, "source": "report"},
        job=job,
        timeout=timeout,
    )


def export_report_json(
    report: Mapping[str, object],
    *,
    environment: str,
    service: str,
    textfile: Path | None,
    pushgateway_url: str | None = None,
    job: str = DEFAULT_JOB,
    timeout: float = DEFAULT_TIMEOUT,
) -> MetricsExport:
    """:func:`export_report_totals` from a report JSON document (``testgate-report/1``).

    Reads ``totals``, ``passed`` and ``generated_at``; a report that did not decide
    (``decision: "error"``) exports ``testgate_run_success 0``.
    """
    totals = report.get("totals") or {}
    if not isinstance(totals, Mapping):
        totals = {}
    generated = report.get("generated_at")
    generated_at = None
    if isinstance(generated, str) and generated:
        try:
            generated_at = datetime.fromisoformat(generated.replace("Z", "+00:00"))
        except ValueError:
            generated_at = None
    return export_report_totals(
        totals,
        environment=environment,
        service=service,
        passed=report.get("passed") is True,
        textfile=textfile,
        pushgateway_url=pushgateway_url,
        generated_at=generated_at,
        job=job,
        timeout=timeout,
    )
