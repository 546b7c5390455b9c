"""``testgate pipeline``'s options: the older ``--broker URL`` still means go through that broker."""

from __future__ import annotations

import pytest
from testgate.commands import pipeline


@pytest.mark.parametrize(
    ("argv", "broker", "url"),
    [
        pytest.param(
            ["--broker", "https://b.example.com"], True, "https://b.example.com", id="old"
        ),
        pytest.param(["--broker=https://b.example.com"], True, "https://b.example.com", id="old="),
        pytest.param(
            ["--broker", "--broker-url", "https://b.example.com"],
            True,
            "https://b.example.com",
            id="new",
        ),
        pytest.param(["--broker", "--env", "local"], True, None, id="flag-only"),
        pytest.param(["--env", "local"], None, None, id="none"),
    ],
)
def test_broker_spellings(argv: list[str], broker: bool | None, url: str | None) -> None:
    args = pipeline.build_parser().parse_args(pipeline._older_broker_flag(argv))
    assert (args.broker, args.broker_url) == (broker, url)


def test_help_names_no_example_only_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert pipeline.main(["--help"], {}) == 0
    out = capsys.readouterr().out
    assert "EXAMPLE_BREAK" not in out  # it does nothing in a user's project (issue 12, item 1)
    assert "skipped with a line" in out
