"""The HTML page in a real headless Chromium (Debian ``chromium``), on a phone and a wide screen.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
commands on fd 3, answers on fd 4, NUL-separated JSON), so no extra package is
needed. The test reads what the page shows (rendered text, layout boxes, network
entries) and keeps a screenshot of each viewport under the test's tmp dir (and in
``$TESTGATE_TEST_ARTIFACTS`` when CI sets it).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import require_tool
from history_sim import FLIPPER, SLOWER, make_report, series
from testgate import history as hist
from testgate.render.html import render_html

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
]


class Chromium:
    """Just enough of the DevTools protocol over a pipe: call, wait for an event."""

    def __init__(self, exe: str, user_data_dir: Path) -> None:
        cmd_r, self._cmd_w = os.pipe()
        self._out_r, out_w = os.pipe()
        hi_cmd, hi_out = os.dup(cmd_r), os.dup(out_w)  # numbers that cannot be 3 or 4 clashes

        def wire() -> None:  # in the child: fd 3 reads our commands, fd 4 writes answers
            os.dup2(hi_cmd, 3)
            os.dup2(hi_out, 4)

        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            pass_fds=(3, 4),
        )
        for fd in (cmd_r, out_w, hi_cmd, hi_out):
            os.close(fd)
        self._buf = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._out_r], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._out_r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, session: str | None = None, timeout: float = 20, **params: Any):
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_event(self, method: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.call("Browser.close", timeout=5)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        for fd in (self._cmd_w, self._out_r):
            with contextlib.suppress(OSError):
                os.close(fd)


def _page(tmp_path: Path) -> Path:
    h = hist.History()
    for i, r in enumerate(series(runs=12)):
        hist.append_run(h, r, hist.RunContext(commit=f"{i:040x}", branch="main"))
    last = series(runs=12)[-1]
    last["quarantined"] = [
        {
            "id": "tests.api.test_legacy::test_old_export",
            "owner": "team-data",
            "reason": "DATA-9: export service sunset",
            "expires": "2026-11-01",
            "expired": True,
        },
    ]
    # a long unbroken id and message: the phone layout must not scroll sideways for them
    last["failures"].append(
        {
            **last["failures"][0],
            "id": "tests.api." + "very_long_module_name_" * 6 + "::test_x",
            "message": "E" * 400,
        }
    )
    trend = hist.build_trend(h, last=12)
    page = tmp_path / "testgate-report.html"
    page.write_text(render_html(last, trend, title="dashboard-api tests"), encoding="utf-8")
    return page


VIEWPORTS = [
    pytest.param(390, 844, True, id="phone"),
    pytest.param(1366, 900, False, id="wide"),
]

PROBE = """(() => {
  const box = (sel) => { const e = document.querySelector(sel); if (!e) return null;
    const r = e.getBoundingClientRect(); return {w: r.width, h: r.height, top: r.top, left: r.left}; };
  const cards = [...document.querySelectorAll('[data-testid=totals] .card')]
    .map(c => Math.round(c.getBoundingClientRect().top));
  return {
    text: document.body.innerText,
    viewport: window.innerWidth,
    pageWidth: document.documentElement.scrollWidth,
    chart: box('[data-testid=trend-chart] svg'),
    lines: document.querySelectorAll('[data-testid=trend-chart] polyline').length,
    cardRows: new Set(cards).size,
    decisionColor: getComputedStyle(document.querySelector('[data-testid=decision]')).backgroundColor,
    resources: performance.getEntriesByType('resource').length,
    flaky: document.querySelector('[data-testid=flaky]').innerText,
    quarantined: document.querySelector('[data-testid=quarantined]').innerText,
  };
})()"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    exe = require_tool("chromium")
    profile = tmp_path_factory.mktemp("chromium-profile")  # a new, empty profile
    b = Chromium(exe, profile)
    try:
        yield b
    finally:
        b.close()


@pytest.mark.slow
@pytest.mark.parametrize(("width", "height", "mobile"), VIEWPORTS)
def test_html_page_in_headless_chromium(browser, tmp_path, width, height, mobile):
    page = _page(tmp_path)
    target = browser.call("Target.createTarget", url="about:blank")["targetId"]
    session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    try:
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        browser.call("Page.enable", session)
        browser.call("Page.navigate", session, url=page.as_uri())
        browser.wait_event("Page.loadEventFired")
        shown = browser.call("Runtime.evaluate", session, expression=PROBE, returnByValue=True)[
            "result"
        ]["value"]
        shot = browser.call(
            "Page.captureScreenshot", session, format="png", captureBeyondViewport=True
        )
    finally:
        browser.call("Target.closeTarget", targetId=target)

    png = base64.b64decode(shot["data"])
    name = f"testgate-report-{'phone' if mobile else 'wide'}.png"
    (tmp_path / name).write_bytes(png)
    artifacts = os.environ.get("TESTGATE_TEST_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / name, Path(artifacts) / name)
    assert png.startswith(b"\x89PNG")
    assert len(png) > 10_000

    text = shown["text"]
    assert "dashboard-api tests" in text
    assert "FAIL" in text
    assert "refund not found (timeout)" in text  # a failure with its message
    assert FLIPPER in shown["flaky"]
    assert "100%" in shown["flaky"]
    assert "tests.api.test_legacy::test_old_export" in shown["quarantined"]
    assert "(expired)" in shown["quarantined"]
    assert SLOWER in text.split("Slowest tests")[1]
    assert "Trend (last 12 runs)" in text
    assert shown["lines"] == 3  # pass rate, tests, duration
    assert shown["decisionColor"] == "rgb(207, 34, 46)"  # the red FAIL badge
    assert shown["resources"] == 0  # self-contained: nothing fetched
    assert shown["pageWidth"] <= shown["viewport"]  # no sideways scrolling, even on a phone
    assert min(760, width - 40) <= shown["chart"]["w"] <= 760  # fills the column, capped
    if mobile:
        assert shown["cardRows"] >= 2  # totals wrap onto several rows
    else:
        assert shown["cardRows"] == 1


def test_a_report_without_history_renders_too(tmp_path):
    page = render_html(make_report([{"id": "a::x", "outcome": "passed", "time": 1.0}]))
    assert "PASS" in page
    assert "Trend" not in page
    assert "<script" not in page
