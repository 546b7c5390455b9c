"""The settings model: one table, one precedence, every problem reported at once."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from testgate import settings
from testgate.cli import COMMANDS
from testgate.errors import ConfigError
from testgate.platforms.local import LocalPlatform
from testgate.settings import CommandSpec, in_reports, use
from testgate.settings_table import SETTINGS

SPEC = CommandSpec(
    name="demo",
    help="demo",
    description="a demo command",
    examples="  testgate demo",
    uses=(
        use("provider", required=True),
        use("pact-dir"),
        use("start-timeout"),
        use("consumer-junit", default=in_reports("demo.xml")),
        use("broker-url"),
        use("include-pending"),
        use("version"),
    ),
)


def load(tmp_path: Path, argv: list[str], environ: dict[str, str] | None = None, toml: str = ""):
    if toml:
        (tmp_path / "testgate.toml").write_text(toml, encoding="utf-8")
    args = settings.build_parser(SPEC).parse_args(argv)
    env = {"TESTGATE_PROJECT_FILE": str(tmp_path / "testgate.toml")} if toml else {}
    env.update(environ or {})
    return settings.load(SPEC, args, env, LocalPlatform(env), cwd=tmp_path)


def test_precedence_flag_then_variable_then_toml_then_default(tmp_path: Path) -> None:
    toml = '[provider]\nname = "from-toml"\n[consumer]\npact-dir = "toml-pacts"\n'
    cfg = load(tmp_path, [], {}, toml)
    assert cfg.provider == "from-toml"
    assert cfg.source("provider") == "testgate.toml"
    assert cfg.pact_dir == tmp_path / "toml-pacts"
    assert cfg.start_timeout == 30.0
    assert cfg.source("start-timeout") == "default"

    cfg = load(tmp_path, [], {"TESTGATE_PROVIDER": "from-env"}, toml)
    assert cfg.provider == "from-env"
    assert cfg.source("provider") == "env TESTGATE_PROVIDER"

    cfg = load(tmp_path, ["--provider", "from-flag"], {"TESTGATE_PROVIDER": "from-env"}, toml)
    assert cfg.provider == "from-flag"
    assert cfg.source("provider") == "flag"


def test_paths_are_relative_to_the_project_root_wherever_it_runs(tmp_path: Path) -> None:
    (tmp_path / "testgate.toml").write_text('[provider]\nname = "p"\n', encoding="utf-8")
    sub = tmp_path / "deep" / "er"
    sub.mkdir(parents=True)
    args = settings.build_parser(SPEC).parse_args(["--pact-dir", "x"])
    cfg = settings.load(SPEC, args, {}, LocalPlatform({}), cwd=sub)
    assert cfg.project.root == tmp_path
    assert cfg.pact_dir == tmp_path / "x"
    assert cfg.reports_dir == tmp_path / "reports"
    assert cfg.consumer_junit == tmp_path / "reports" / "demo.xml"


def test_every_problem_is_reported_in_one_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(
            tmp_path,
            ["--start-timeout", "soon", "--broker-url", "ftp://broker"],
            {"TESTGATE_INCLUDE_PENDING": "maybe"},
        )
    text = str(info.value)
    assert "3 settings need fixing" not in text  # four: the three above and the missing provider
    assert "4 settings need fixing" in text
    assert "--start-timeout must be a number (got 'soon')" in text
    assert "--broker-url must be an http:// or https:// URL" in text
    assert "TESTGATE_INCLUDE_PENDING must be true or false (got 'maybe')" in text
    assert (
        "provider is required (--provider, env TESTGATE_PROVIDER, testgate.toml [provider] name"
        in text
    )
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        pytest.param("TESTGATE_START_TIMEOUT", "nan", "must be a finite number", id="nan"),
        pytest.param("TESTGATE_START_TIMEOUT", "1e308", "must be at most 3600", id="huge"),
        pytest.param("TESTGATE_START_TIMEOUT", "-1", "must be at least 0.1", id="negative"),
        pytest.param("PACT_BROKER_BASE_URL", "http://[::1", "is not a valid URL", id="bad-ipv6"),
        pytest.param(
            "PACT_BROKER_BASE_URL", "javascript:alert(1)", "must be an http:// or https://", id="js"
        ),
    ],
)
def test_absurd_values_are_config_errors_naming_the_variable(
    tmp_path: Path, var: str, value: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, ["--provider", "p"], {var: value})
    assert f"{var} {expected}" in str(info.value)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        pytest.param("/", "is a folder", id="root-folder"),
        pytest.param("/proc/nope/x.xml", "cannot create its folder", id="proc"),
        pytest.param("/dev/null", "exists and is not a regular file", id="device"),
    ],
)
def test_output_files_are_checked_before_any_work(
    tmp_path: Path, target: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, ["--provider", "p", "--junit", target])
    assert f"--consumer-junit {expected}" in str(info.value)
    assert target in str(info.value)


def test_output_check_leaves_nothing_behind_and_never_follows_a_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".testgate-probe-x").symlink_to(victim)
    load(tmp_path, ["--provider", "p", "--junit", str(out / "r.xml")])
    assert victim.read_text(encoding="utf-8") == "keep"
    assert sorted(p.name for p in out.iterdir()) == [".testgate-probe-x"]


def test_toml_unknown_key_names_file_line_and_the_nearest_key(tmp_path: Path) -> None:
    toml = '# a comment\n[provider]\nname = "p"\nstates_path = "/_pact"\n[consumr]\nname = "c"\n'
    with pytest.raises(ConfigError) as info:
        load(tmp_path, [], {}, toml)
    text = str(info.value)
    assert f"{tmp_path / 'testgate.toml'}:4: unknown key 'states_path' in [provider]" in text
    assert "did you mean 'states-path'?" in text
    assert (
        f"{tmp_path / 'testgate.toml'}:5: unknown section [consumr]; did you mean [consumer]?"
        in text
    )


def test_toml_wrong_type_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r":3: \[provider\] command must be a list of strings"):
        load(tmp_path, [], {}, '[provider]\nname = "p"\ncommand = 5\n')


def test_derived_default_comes_from_the_build(tmp_path: Path) -> None:
    cfg = load(tmp_path, ["--provider", "p"], {"TESTGATE_COMMIT": "abc123"})
    assert cfg.version == "abc123"
    assert cfg.build.commit == "abc123"


def test_secrets_are_masked_and_have_no_flag_or_toml_key() -> None:
    for s in SETTINGS.values():
        if s.secret and s.kind == "secret":
            assert s.flag is None, s.name
        if s.secret:
            assert s.toml is None, s.name
    platform = LocalPlatform({})
    args = settings.build_parser(SPEC).parse_args(["--provider", "p"])
    settings.load(SPEC, args, {"PACT_BROKER_TOKEN": "s3cr3t-token"}, platform)
    assert platform.redact("token=s3cr3t-token") == "token=***"


def test_a_command_cannot_read_a_setting_it_did_not_declare(tmp_path: Path) -> None:
    cfg = load(tmp_path, ["--provider", "p"])
    with pytest.raises(AttributeError, match="not declared by `testgate demo`"):
        _ = cfg.to_environment


def test_help_says_variable_toml_key_and_default() -> None:
    text = settings.build_parser(SPEC).format_help()
    text = re.sub(r"\s+", " ", text)
    assert (
        "--pact-dir DIR where the pacts are written and read (env TESTGATE_PACT_DIR; "
        "testgate.toml [consumer] pact-dir; default pacts)" in text
    )
    assert "exit codes: 0 passed" in text


def test_table_names_are_kebab_case_and_variables_follow_mechanically() -> None:
    for s in SETTINGS.values():
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", s.name), s.name
        if s.env and s.env.startswith("TESTGATE_"):
            assert s.env == settings.env_var_for(s.name), s.name
    envs = [v for s in SETTINGS.values() for v in s.variables]
    duplicated = {v for v in envs if envs.count(v) > 1}
    # Aliases shared on purpose: the version and branch a provider job gets.
    assert duplicated <= {"TESTGATE_VERSION", "TESTGATE_BRANCH"}, duplicated


def test_every_testgate_variable_in_the_code_is_in_the_table() -> None:
    declared = {v for s in SETTINGS.values() for v in s.variables}
    root = Path(settings.__file__).parent
    found: dict[str, str] = {}
    for path in root.rglob("*.py"):
        for name in re.findall(
            r"\bTESTGATE_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")
        ):
            found.setdefault(name, str(path.relative_to(root)))
    unknown = {
        n: where
        for n, where in found.items()
        if n not in declared and not n.startswith(("TESTGATE_OUT_",))
    }
    assert not unknown, f"TESTGATE_* variables used but not in settings_table.py: {unknown}"


def test_no_command_module_spells_a_variable_name() -> None:
    """The commands take every variable name from the table (help examples included)."""
    commands = Path(settings.__file__).parent / "commands"
    spelled = {
        path.name: sorted(set(re.findall(r"\bTESTGATE_[A-Z0-9_]+", path.read_text("utf-8"))))
        for path in commands.glob("*.py")
    }
    assert {name: found for name, found in spelled.items() if found} == {}


# What only a run needs: child processes, threads, the toml and JSON parsers, the platform
# adapters and the library. A command's --help and its usage errors load none of it, so that
# start-up stays small for every command (the timing below measures one of them).
RUN_ONLY = (
    "subprocess",
    "threading",
    "tomllib",
    "json",
    "testgate.platforms",
    "testgate.runner",
    "testgate.pact",
    "testgate.broker.lifecycle",  # (the broker's settings, in broker.client, are for the help)
    "testgate.broker.matrix",
    "testgate.broker.verification",
    "testgate.broker.webhooks",
    "testgate.history",
    "testgate.junit",
    "testgate.readers",
    "testgate.render",
    "testgate.provider",
    "lxml",
    "requests",
    "dotenv",
)
_LOADED = """\
import sys
from testgate.cli import main
main([sys.argv[1], "--help"])
print("\\n".join(sorted(sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize("command", sorted(set(COMMANDS) - {"envs"}))
def test_help_loads_nothing_only_a_run_needs(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LOADED, command], capture_output=True, text=True, check=True
    )
    loaded = done.stderr.split()
    heavy = sorted(m for m in loaded if m.split(".")[0] in RUN_ONLY or m.startswith(RUN_ONLY))
    assert heavy == [], f"testgate {command} --help loads {heavy}"


def test_start_up_stays_under_100_ms() -> None:
    """A command's parser and settings, warm (byte code cached): the best of seven runs of
    ``testgate consumer --help``, in CPU time (user + system) of the child process, so that
    other work on this 2-core machine does not decide the result; wall time is printed."""
    exe = Path(sys.executable).parent / "testgate"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    argv = [str(exe), "consumer", "--help"]
    _timed(argv, env)  # writes the byte code
    runs = [_timed(argv, env) for _ in range(7)]
    cpu = min(c for c, _ in runs)
    wall = min(w for _, w in runs)
    print(f"start-up: {cpu * 1000:.0f} ms CPU, {wall * 1000:.0f} ms wall")
    assert cpu < 0.100, f"{cpu * 1000:.0f} ms CPU ({wall * 1000:.0f} ms wall)"


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def test_unused_namespace_does_not_break_lookup(tmp_path: Path) -> None:
    cfg = load(tmp_path, ["--provider", "p"], {"TESTGATE_SERVICE": "svc"})
    assert cfg.lookup("service") == "svc"
    assert isinstance(argparse.Namespace(), argparse.Namespace)


def test_settings_reference_is_generated_from_the_table() -> None:
    import importlib.util

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("gen", root / "scripts" / "gen_settings_docs.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.main(["--check"]) == 0, "run: python scripts/gen_settings_docs.py"
    text = (root / "docs" / "settings.md").read_text(encoding="utf-8")
    for s in SETTINGS.values():
        assert f"`{s.name}`" in text, s.name
