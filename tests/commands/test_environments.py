"""``testgate environments ensure|list``."""

from __future__ import annotations

import json

from testgate.commands import environments


def listing(*names: str) -> str:
    return json.dumps({"_embedded": {"environments": [{"name": n} for n in names]}})


def test_ensure_creates_only_the_missing_ones(fake_pact_cli, tmp_path, capsys) -> None:
    envs = tmp_path / "envs"
    envs.mkdir()
    for name in ("local", "beta", "prod"):
        (envs / f"{name}.env").write_text("")
    fake_pact_cli.answers((0, listing("beta")), (0, "✅ Created"))
    code = environments.main(["ensure", "--envs-dir", str(envs)], fake_pact_cli.environ)
    out = capsys.readouterr().out
    assert code == 0, out
    argvs = [c["argv"] for c in fake_pact_cli.calls()]
    assert argvs == [
        ["broker", "list-environments", "--output", "json"],
        ["broker", "create-environment", "--name", "local", "--display-name", "Local"],
        [
            "broker",
            "create-environment",
            "--name",
            "prod",
            "--display-name",
            "Prod",
            "--production",
        ],
    ]
    assert "`beta`: already there" in out
    assert "`prod`: created (production)" in out


def test_ensure_without_env_files_is_a_config_error(fake_pact_cli, tmp_path, capsys) -> None:
    assert environments.main(["ensure", "--envs-dir", str(tmp_path)], fake_pact_cli.environ) == 2
    assert "no <name>.env files" in capsys.readouterr().err


def test_list(fake_pact_cli, capsys) -> None:
    fake_pact_cli.answer(listing("prod", "beta"))
    assert environments.main(["list"], fake_pact_cli.environ) == 0
    out = capsys.readouterr().out
    assert "- `beta`\n- `prod`" in out
