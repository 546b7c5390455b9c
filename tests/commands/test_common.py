"""What every command shares: PACT_DO_NOT_TRACK for the command and its children, the action."""

from __future__ import annotations

import pytest
from testgate.commands import _common
from testgate.settings import CommandSpec, Settings

SPEC = CommandSpec(
    name="demo", help="demo", description="demo", examples="  testgate demo", actions=("a", "b")
)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, "true", id="unset"),
        pytest.param({"PACT_DO_NOT_TRACK": "false"}, "false", id="set"),
    ],
)
def test_execute_turns_pact_telemetry_off_unless_set(
    environ: dict[str, str], expected: str, tmp_path
) -> None:
    seen: dict[str, str] = {}

    def body(cfg: Settings, platform) -> int:
        seen["track"] = cfg.environ["PACT_DO_NOT_TRACK"]
        seen["action"] = cfg.action
        seen["platform"] = platform.environ["PACT_DO_NOT_TRACK"]
        return 0

    env = {**environ, "TESTGATE_REPORTS_DIR": str(tmp_path / "r"), "TESTGATE_PLATFORM": "local"}
    before = dict(env)
    assert _common.execute(SPEC, ["b"], env, body) == 0
    assert seen == {"track": expected, "action": "b", "platform": expected}
    assert env == before  # the caller's mapping is left alone
