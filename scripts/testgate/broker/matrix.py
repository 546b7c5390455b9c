"""can-i-deploy: the broker's matrix answer as a decision, and its Markdown.

The decision is taken from the broker's JSON answer, never from the CLI's exit code; an unknown
answer (``deployable: null``) fails closed.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from testgate.broker.client import BrokerSettings, Runner, json_from, run_pact_broker
from testgate.errors import ToolError


@dataclass(frozen=True)
class MatrixRow:
    """One row of the matrix: a pact between two versions and whether it was verified."""

    consumer: str
    consumer_version: str | None
    provider: str
    provider_version: str | None
    success: bool | None
    verification_url: str | None

    @property
    def status(self) -> str:
        """``verified``, ``failed`` or ``unverified``."""
        return {True: "verified", False: "failed", None: "unverified"}[self.success]


@dataclass(frozen=True)
class CanIDeployDecision:
    """The broker's answer to "can this version go to that environment?"."""

    pacticipant: str
    version: str
    to_environment: str
    deployable: bool | None
    reasons: tuple[str, ...]
    rows: tuple[MatrixRow, ...]
    counts: Mapping[str, int]

    @property
    def passed(self) -> bool:
        """Only an explicit yes passes; unknown (``None``) fails closed."""
        return self.deployable is True

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (written to ``reports/can-i-deploy.json``)."""
        return {
            "schema": "testgate-can-i-deploy/1",
            "pacticipant": self.pacticipant,
            "version": self.version,
            "to_environment": self.to_environment,
            "deployable": self.deployable,
            "passed": self.passed,
            "reasons": list(self.reasons),
            "counts": dict(self.counts),
            "matrix": [
                {
                    "consumer": r.consumer,
                    "consumer_version": r.consumer_version,
                    "provider": r.provider,
                    "provider_version": r.provider_version,
                    "success": r.success,
                    "status": r.status,
                    "verification_url": r.verification_url,
                    "reason": row_reason(r, self.to_environment),
                }
                for r in self.rows
            ],
        }


def parse_matrix(
    doc: Mapping[str, Any], pacticipant: str, version: str, to_environment: str
) -> CanIDeployDecision:
    """A :class:`CanIDeployDecision` from the broker's matrix JSON.

    Raises:
        ToolError: the document is not a matrix answer.
    """
    summary = doc.get("summary")
    if not isinstance(summary, Mapping) or "deployable" not in summary:
        raise ToolError("the Pact Broker's can-i-deploy answer has no summary.deployable")
    deployable = summary.get("deployable")
    if deployable not in (True, False, None):
        raise ToolError(f"the Pact Broker's summary.deployable is {deployable!r}")
    rows = []
    for item in doc.get("matrix") or []:
        consumer = item.get("consumer") or {}
        provider = item.get("provider") or {}
        result = item.get("verificationResult") or None
        rows.append(
            MatrixRow(
                consumer=str(consumer.get("name")),
                consumer_version=((consumer.get("version") or {}).get("number")),
                provider=str(provider.get("name")),
                provider_version=((provider.get("version") or {}).get("number")),
                success=None if result is None else result.get("success"),
                verification_url=None
                if result is None
                else ((result.get("_links") or {}).get("self") or {}).get("href"),
            )
        )
    reason = str(summary.get("reason") or "")
    reasons = tuple(line for line in reason.splitlines() if line.strip())
    if not reasons:
        reasons = tuple(
            str(n.get("text"))
            for n in doc.get("notices") or []
            if n.get("type") in ("error", "warning", "success")
            and "Computer says" not in str(n.get("text"))
        )
    counts = {k: int(summary.get(k) or 0) for k in ("success", "failed", "unknown")}
    return CanIDeployDecision(
        pacticipant, version, to_environment, deployable, reasons, tuple(rows), counts
    )


def row_reason(row: MatrixRow, environment: str) -> str:
    """Why a row counts for or against the deployment, in a few words."""
    if row.success is True:
        return f"{row.provider} {row.provider_version} verified the pact"
    if row.success is False:
        return f"{row.provider} {row.provider_version} failed to verify the pact"
    if row.provider_version is None:
        return f"no version of {row.provider} is recorded in {environment}"
    return f"{row.provider} {row.provider_version} has not verified this pact"


def polling_timeout(settings: BrokerSettings, retry_while_unknown: int, interval: int) -> float:
    """Seconds one can-i-deploy attempt may take: the CLI polls ``retry_while_unknown`` more
    times, ``interval`` seconds apart; its requests share one timeout (a healthy one takes
    milliseconds)."""
    return settings.timeout + retry_while_unknown * interval


def can_i_deploy(
    settings: BrokerSettings,
    *,
    pacticipant: str,
    version: str,
    to_environment: str,
    retry_while_unknown: int = 0,
    retry_interval: int = 10,
    environ: Mapping[str, str],
    runner: Runner = subprocess.run,
    sleep: Callable[[float], None] = time.sleep,
) -> CanIDeployDecision:
    """Ask the broker whether ``pacticipant`` ``version`` can go to ``to_environment``.

    The CLI polls while results are unknown (``--retry-while-unknown``); the
    decision is taken from its JSON answer, never from its exit code.
    """
    args = [
        "can-i-deploy",
        "--pacticipant",
        pacticipant,
        "--version",
        version,
        "--to-environment",
        to_environment,
        "--output",
        "json",
    ]
    if retry_while_unknown:
        args += ["--retry-while-unknown", str(retry_while_unknown)]
        args += ["--retry-interval", str(retry_interval)]
    run = run_pact_broker(
        settings,
        args,
        environ,
        timeout=polling_timeout(settings, retry_while_unknown, retry_interval),
        runner=runner,
        sleep=sleep,
    )
    if run.returncode != 0:
        raise ToolError(f"pact broker can-i-deploy failed: {run.last_error()}")
    return parse_matrix(json_from(run), pacticipant, version, to_environment)


# --------------------------------------------------------------------------- Markdown


def _md_cell(value: Any) -> str:
    from testgate.render.markdown import md_text  # the shared escaper

    return "—" if value is None else md_text(value)


def render_can_i_deploy_md(decision: CanIDeployDecision, *, dry_run: bool = False) -> str:
    """The decision as Markdown: verdict, one table row per matrix row, the broker's reasons."""
    if decision.passed:
        verdict = "✅ yes"
    elif decision.deployable is None:
        verdict = "❌ no (results unknown)"
    else:
        verdict = "❌ no"
    lines = [
        f"## can-i-deploy: {_md_cell(decision.pacticipant)} {_md_cell(decision.version)} "
        f"to {_md_cell(decision.to_environment)}: {verdict}",
        "",
    ]
    if dry_run and not decision.passed:
        lines += ["> **Dry run:** the gate says FAIL, but this run does not block the deploy.", ""]
    if decision.rows:
        lines += [
            "| Consumer | Consumer version | Provider | Provider version | Verified | Reason |",
            "|---|---|---|---|---|---|",
        ]
        for row in decision.rows:
            mark = {True: "✅ yes", False: "❌ failed", None: "❔ unknown"}[row.success]
            lines.append(
                f"| {_md_cell(row.consumer)} | {_md_cell(row.consumer_version)} "
                f"| {_md_cell(row.provider)} | {_md_cell(row.provider_version)} | {mark} "
                f"| {_md_cell(row_reason(row, decision.to_environment))} |"
            )
        lines.append("")
    else:
        lines += ["_No integrations in the matrix for this version._", ""]
    if decision.reasons:
        lines.append("**Reasons (from the Pact Broker):**")
        lines += [f"- {_md_cell(reason)}" for reason in decision.reasons]
        lines.append("")
    counts = decision.counts
    lines.append(
        f"{counts.get('success', 0)} verified, {counts.get('failed', 0)} failed, "
        f"{counts.get('unknown', 0)} unknown"
    )
    return "\n".join(lines) + "\n"
