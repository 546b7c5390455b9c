"""The fake GitHub and GitLab APIs answer like the real ones (raw HTTP, no testgate client)."""

from __future__ import annotations

import requests
from fake_github import FakeGitHub
from fake_gitlab import FakeGitLab


def test_fake_github_pages_links_and_validation() -> None:
    with FakeGitHub() as gh:
        gh.add_repo("o/r", pulls=(1,))
        gh.add_token("t", "me")
        for i in range(65):
            gh.add_comment("o/r", 1, f"c{i}", token="t")
        auth = {"Authorization": "Bearer t"}
        first = requests.get(f"{gh.url}/repos/o/r/issues/1/comments", headers=auth, timeout=5)
        assert len(first.json()) == 30  # GitHub's default page size
        assert first.links["next"]["url"].endswith("/repositories/1300000/issues/1/comments?page=2")
        assert first.links["last"]["url"].endswith("page=3")
        last = requests.get(first.links["last"]["url"], headers=auth, timeout=5)
        assert [c["body"] for c in last.json()] == ["c60", "c61", "c62", "c63", "c64"]
        assert "next" not in last.links
        assert "prev" in last.links
        big = requests.post(
            f"{gh.url}/repos/o/r/issues/1/comments",
            json={"body": "x" * 65_537},
            headers=auth,
            timeout=5,
        )
        assert big.status_code == 422
        assert "maximum is 65536 characters" in big.json()["errors"][0]["message"]
        assert requests.get(f"{gh.url}/user", timeout=5).status_code == 401
        wrong = requests.get(f"{gh.url}/user", headers={"Authorization": "Bearer x"}, timeout=5)
        assert wrong.json()["message"] == "Bad credentials"


def test_fake_gitlab_pages_headers_order_and_auth() -> None:
    with FakeGitLab() as gl:
        gl.add_project(5, "g/p", merge_requests=(2,))
        gl.add_token("pat", "bot")
        for i in range(25):
            gl.add_note(5, 2, f"n{i}", token="pat")
        auth = {"PRIVATE-TOKEN": "pat"}
        notes = f"{gl.url}/projects/g%2Fp/merge_requests/2/notes"
        first = requests.get(notes, headers=auth, timeout=5)
        assert first.headers["X-Per-Page"] == "20"  # GitLab's default page size
        assert first.headers["X-Next-Page"] == "2"
        assert first.headers["X-Total"] == "25"
        assert first.json()[0]["body"] == "n24"  # newest first unless sort=asc
        second = requests.get(notes, params={"page": 2}, headers=auth, timeout=5)
        assert second.headers["X-Next-Page"] == ""
        assert len(second.json()) == 5
        job = requests.get(notes, headers={"JOB-TOKEN": "job"}, timeout=5)
        assert job.status_code == 401
        big = requests.post(notes, json={"body": "x" * 1_000_001}, headers=auth, timeout=5)
        assert big.status_code == 400
        gl.add_token("other", "other")
        note_id = first.json()[0]["id"]
        foreign = requests.put(
            f"{notes}/{note_id}",
            json={"body": "mine now"},
            headers={"PRIVATE-TOKEN": "other"},
            timeout=5,
        )
        assert foreign.status_code == 403  # only the author edits a note
