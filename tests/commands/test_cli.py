from __future__ import annotations

import pytest
from testgate import cli


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"], {}) == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert f"  {name} " in out, name


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_every_command_has_help_with_examples(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([name, "--help"], {}) == 0
    out = capsys.readouterr().out
    assert f"testgate {name}" in out
    assert "examples:" in out
    assert "exit codes:" in out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["deploy-everything"], {}) == 2
    assert "unknown command 'deploy-everything'" in capsys.readouterr().err


def test_bad_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["verify", "--no-such-option"], {}) == 2


def test_no_command_prints_usage_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([], {}) == 2
    assert "usage: testgate" in capsys.readouterr().out


def test_one_line_helps_come_from_the_specs(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib

    assert cli.main(["--help"], {}) == 0
    out = capsys.readouterr().out
    for name, module in cli.COMMANDS.items():
        spec = getattr(importlib.import_module(f"testgate.commands.{module}"), "SPEC", None)
        if spec is not None:
            assert spec.name == name
            assert f"  {name:<20} {spec.help}\n" in out


def test_envs_is_listed_as_the_alias_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"], {}) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("  envs "))
    assert "alias of `environments list`" in line
