"""Jenkins: plain console text plus files the shared library archives."""

from __future__ import annotations

import re

from testgate.platforms.base import Platform


class JenkinsPlatform(Platform):
    """Writes ``reports/<job>.md`` and ``reports/testgate-outputs.properties``.

    The shared library's steps archive the Markdown and read the properties
    (``readProperties``) to set ``currentBuild.description``.
    """

    name = "jenkins"

    def summary(self, markdown: str) -> None:
        markdown = self.redact(markdown)
        self._append(
            self.reports_dir() / f"{self.job_name()}.md",
            markdown if markdown.endswith("\n") else markdown + "\n",
        )
        print(markdown, file=self.stdout, flush=True)

    def output(self, name: str, value: str) -> None:
        key = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        flat = self.redact(value).replace("\\", "\\\\").replace("\n", "\\n")
        self._append(self.reports_dir() / "testgate-outputs.properties", f"{key}={flat}\n")
