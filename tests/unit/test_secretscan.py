"""The credential detector shared by the envs/ scan and the pact scan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testgate import secretscan
from testgate.errors import ConfigError

# Built at run time so this file holds nothing a scanner of the repository would flag.
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6"
JWT = "eyJhbGciOiJIUzI1NiJ9" + "." + "eyJzdWIiOiJkYXNoYm9hcmQifQ" + ".c2lnbmF0dXJl"
AWS = "AKIA" + "ABCDEFGHIJKLMNOP"


@pytest.mark.parametrize(
    ("value", "name", "kind"),
    [
        pytest.param(GITHUB, None, "a GitHub token", id="github"),
        pytest.param("glpat-" + "x" * 20, None, "a GitLab token", id="gitlab"),
        pytest.param(AWS, None, "an AWS access key", id="aws"),
        pytest.param(JWT, None, "a JWT", id="jwt"),
        pytest.param("-----BEGIN RSA PRIVATE KEY-----", None, "a private key", id="pem"),
        pytest.param("https://user:pw@example.com/x", None, "credentials in a URL", id="url"),
        pytest.param("Bearer abcdefgh12345678", "Authorization", "a bearer token", id="bearer"),
        pytest.param("Basic dXNlcjpwYXNzd29yZA==", "Authorization", "basic-auth", id="basic"),
        pytest.param("hunter2", "password", "a value named 'password'", id="password-field"),
        pytest.param("abc", "X-Api-Key", "a value named 'X-Api-Key'", id="api-key-header"),
        pytest.param("s3cr3t", "clientSecret", "a value named 'clientSecret'", id="camel"),
    ],
)
def test_credentials_are_recognised(value: str, name: str | None, kind: str) -> None:
    found = secretscan.looks_secret(value, name)
    assert found is not None
    assert found.startswith(kind)


@pytest.mark.parametrize(
    ("value", "name"),
    [
        pytest.param("Ada Lovelace", "author", id="author-is-not-auth"),
        pytest.param("p-100", "id", id="plain"),
        pytest.param("", "password", id="empty-password"),
        pytest.param("Bearer", "note", id="the-word-alone"),
        pytest.param("application/json", "Content-Type", id="header"),
    ],
)
def test_ordinary_values_pass(value: str, name: str) -> None:
    assert secretscan.looks_secret(value, name) is None


def test_env_file_scan_names_file_line_and_key_never_the_value(tmp_path: Path) -> None:
    (tmp_path / "qa.env").write_text(
        f"# comment\nURL=https://example.com\nX={GITHUB}\nexport DB_PASSWORD=\nOK=1\n"
    )
    findings = secretscan.scan_env_files(tmp_path)
    assert [str(f) for f in findings] == ["qa.env:3: X", "qa.env:4: DB_PASSWORD"]
    assert GITHUB not in " ".join(str(f) for f in findings)


def _pact(*interactions: dict) -> dict:
    return {
        "consumer": {"name": "web"},
        "provider": {"name": "api"},
        "interactions": list(interactions),
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }


def test_pact_scan_reports_interaction_and_json_path_never_the_value(tmp_path: Path) -> None:
    doc = _pact(
        {
            "type": "Synchronous/HTTP",
            "description": "a login",
            "request": {
                "method": "POST",
                "path": "/login",
                "headers": {"Authorization": ["Bearer " + GITHUB]},
                "body": {
                    "content": {"user": "ada", "password": "hunter2", "author": "Ada"},
                    "contentType": "application/json",
                },
            },
            "response": {"status": 200, "body": {"content": {"token": JWT}}},
            "matchingRules": {"body": {"$.password": {"matchers": [{"match": "type"}]}}},
        },
        {
            "type": "Asynchronous/Messages",
            "description": "a user-created event",
            "contents": {"content": {"apiKey": AWS}},
            "metadata": {"topic": "users"},
        },
    )
    path = tmp_path / "web-api.json"
    path.write_text(json.dumps(doc))
    findings = secretscan.scan_pact_files([path])
    assert [(f.index, f.interaction, f.path) for f in findings] == [
        (0, "a login", "$.request.headers.Authorization[0]"),
        (0, "a login", "$.request.body.content.password"),
        (0, "a login", "$.response.body.content.token"),
        (1, "a user-created event", "$.contents.content.apiKey"),
    ]
    text = "\n".join(str(f) for f in findings) + secretscan.findings_md(findings, 1)
    for value in (GITHUB, "hunter2", JWT, AWS):
        assert value not in text
    assert "web-api.json: interaction 0 'a login': $.request.headers.Authorization[0]" in text


def test_json_bodies_kept_as_a_string_are_scanned_too(tmp_path: Path) -> None:
    body = {"content": json.dumps({"secret": "x1"}), "encoded": "json"}
    doc = _pact({"description": "d", "request": {"method": "GET", "path": "/", "body": body}})
    findings = secretscan.scan_pact_data(doc, tmp_path / "p.json")
    assert [f.path for f in findings] == ["$.request.body.content.secret"]


def test_allowlisted_fakes_pass(tmp_path: Path) -> None:
    headers = {"Authorization": ["Bearer test-token-not-real"]}
    doc = _pact({"description": "d", "request": {"method": "GET", "path": "/", "headers": headers}})
    assert secretscan.scan_pact_data(doc, tmp_path / "p.json")
    assert secretscan.scan_pact_data(doc, tmp_path / "p.json", ["Bearer test-token-not-real"]) == []


def test_allowlist_must_be_a_list_of_strings() -> None:
    assert secretscan.parse_allowlist(None) == ()
    assert secretscan.parse_allowlist(["Bearer a b"]) == ("Bearer a b",)
    assert secretscan.parse_allowlist("Bearer a, x") == ("Bearer a", "x")
    with pytest.raises(ConfigError, match=r"\[consumer\] secrets-allowlist"):
        secretscan.parse_allowlist([1])


def test_redact_hides_a_secret_that_another_begins_with() -> None:
    """The one redactor: longest first, so no tail of a longer secret stays visible."""
    from testgate.secretscan import redact

    assert redact("key=abc password=abcdef", ["abc", "abcdef", "", None]) == "key=*** password=***"
    assert redact("nothing here", []) == "nothing here"
