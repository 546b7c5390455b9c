"""testgate.render.html: one self-contained page; untrusted text stays text, only http(s) links."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from history_sim import make_report, series
from testgate import history as hist
from testgate.render.html import render_html


class _Page(HTMLParser):
    """Every start tag with its attributes, and the text, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"


def _report(**extra) -> dict:
    doc = make_report(
        [
            {"id": "a::ok", "outcome": "passed", "time": 0.2},
            {"id": f"a::{HOSTILE}", "outcome": "failed", "time": 1.5},
        ]
    )
    doc["failures"][0]["message"] = f"assert {HOSTILE}"
    doc["reasons"] = [f"1 test failed: {HOSTILE}"]
    doc.update(extra)
    return doc


def _trend(runs: int = 8, pipeline_url: str = "https://ci.example/run/8") -> hist.Trend:
    h = hist.History()
    for i, report in enumerate(series(runs)):
        url = pipeline_url if i == runs - 1 else ""
        hist.append_run(h, report, hist.RunContext(f"c{i:03d}", "main", url))
    return hist.build_trend(h, last=runs)


def test_untrusted_text_never_becomes_markup() -> None:
    page = render_html(_report())
    parsed = parse(page)
    assert [t for t, _a in parsed.tags if t in ("script", "img", "iframe", "object")] == []
    assert not any(k.startswith("on") for _t, attrs in parsed.tags for k in attrs)
    text = "".join(parsed.text)
    assert f"a::{HOSTILE}" in text  # shown exactly as written
    assert f"assert {HOSTILE}" in text
    assert f"1 test failed: {HOSTILE}" in text


def test_the_page_loads_nothing_from_anywhere() -> None:
    page = render_html(_report(), _trend())
    parsed = parse(page)
    [csp] = parsed.find("meta", **{"http-equiv": "Content-Security-Policy"})
    assert "default-src 'none'" in str(csp["content"])
    assert not [a for _t, a in parsed.tags if a.get("src")]
    assert [t for t, _a in parsed.tags if t in ("link", "script")] == []
    assert parsed.find("meta", name="viewport")  # readable on a phone


@pytest.mark.parametrize(
    ("url", "href"),
    [
        pytest.param("https://ci.example/run/8", "https://ci.example/run/8", id="https"),
        pytest.param("http://jenkins:8080/job/x/8/", "http://jenkins:8080/job/x/8/", id="http"),
        pytest.param("javascript:alert(4)//", None, id="javascript"),
        pytest.param(" javascript:alert(4)", None, id="leading-space"),
        pytest.param("jav\tascript:alert(4)", None, id="tab-inside"),
        pytest.param("data:text/html;base64,PHNjcmlwdD4=", None, id="data"),
        pytest.param("/relative/run", None, id="relative"),
        pytest.param('https://x.example/"onmouseover=alert(1)', None, id="quote"),
    ],
)
def test_only_an_http_pipeline_url_becomes_a_link(url: str, href: str | None) -> None:
    parsed = parse(render_html(None, _trend(pipeline_url=url)))
    links = parsed.find("a")
    assert [a["href"] for a in links] == ([href] if href else [])
    if href is None:
        assert url.strip() in "".join(parsed.text)  # still shown, as text


def test_totals_cards_and_decision_come_from_the_report() -> None:
    parsed = parse(render_html(_report()))
    [decision] = parsed.find("span", **{"data-testid": "decision"})
    assert decision["class"] == "verdict fail"
    assert parsed.find("div", **{"data-testid": "total-failed", "class": "card bad"})
    assert parsed.find("table", **{"data-testid": "failures"})
    assert parsed.find("p", **{"data-testid": "flaky"})  # "No flaky tests." instead of a table


def test_history_alone_shows_the_latest_run_and_the_chart() -> None:
    trend = _trend()
    page = render_html(None, trend)
    parsed = parse(page)
    [decision] = parsed.find("span", **{"data-testid": "decision"})
    assert decision["class"] == f"verdict {trend.runs[-1].decision}"
    assert parsed.find("div", **{"data-testid": "trend-chart"})
    assert parsed.find("svg")
    assert parsed.find("polyline")
    assert f"run #{trend.runs[-1].seq}" in page


def test_long_tables_are_cut_but_counts_stay_exact() -> None:
    tests = [{"id": f"a::t{i:03d}", "outcome": "failed", "time": 0.1} for i in range(30)]
    page = render_html(make_report(tests), limit=5)
    assert "Failures (30)" in "".join(parse(page).text)
    failures = page.split('data-testid="failures"')[1].split("</table>")[0]
    assert failures.count("<tr>") == 1 + 5  # header + 5 rows


def test_expired_quarantine_is_marked() -> None:
    doc = _report(
        quarantined=[
            {
                "id": "a::q",
                "owner": "team",
                "reason": "flaky",
                "expires": "2020-01-01",
                "expired": True,
            }
        ]
    )
    parsed = parse(render_html(doc))
    assert parsed.find("td", **{"class": "expired"})
    assert "2020-01-01 (expired)" in "".join(parsed.text)
