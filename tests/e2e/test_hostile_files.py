"""A pull request names files it should not: `sesctl plan`, as CI runs it with credentials in
the environment, refuses each with one plain message and prints nothing from the environment.

sesctl runs as a process of its own here, so that /proc/self/environ holds the canary and a
loader that opened a FIFO would be stopped by the timeout instead of hanging the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import Env

CANARY = "sesctl-canary-7f3a91c2e5"
HEAD = "version: 1\nstack: s\nregion: us-east-1\n"
REFUSED = {
    "/proc/self/environ": "it is outside the config's directory",
    "../outside.html": "it is outside the config's directory",
    "leak.html": "it is outside the config's directory",  # a symlink to ../outside.html
    "fifo.html": "it is not a regular file (a FIFO)",
}


def plan(env: Env, *templates: str) -> subprocess.CompletedProcess[str]:
    """`sesctl plan` on repo/sesctl.yaml whose templates t0, t1… take their HTML from these."""
    (env.tmp / "outside.html").write_text(f"<p>{CANARY}</p>")
    repo = env.tmp / "repo"
    repo.mkdir()
    (repo / "leak.html").symlink_to("../outside.html")
    os.mkfifo(repo / "fifo.html")
    lines = [f"  t{i}: {{subject: Hi, html_file: '{name}'}}\n" for i, name in enumerate(templates)]
    (repo / "sesctl.yaml").write_text(HEAD + "templates:\n" + "".join(lines))
    command = [sys.executable, "-m", "reconciler", "plan", "repo/sesctl.yaml"]
    options = ["--endpoint-url", env.url, "--api-rate", "unlimited", "--max-attempts", "2"]
    return subprocess.run(
        [*command, *options],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=env.tmp,
        env={**os.environ, "SESCTL_CANARY": CANARY},
    )


def assert_one_plain_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [f"Error: {message}"], result.stderr
    assert result.stdout == ""
    assert CANARY not in result.stdout + result.stderr


@pytest.mark.parametrize("name", list(REFUSED))
def test_plan_refuses_a_template_file_that_leaves_the_directory_or_is_special(
    env: Env, name: str
) -> None:
    result = plan(env, name)
    where = "repo/sesctl.yaml:5:32: templates.t0.html_file"
    assert_one_plain_error(result, f"{where}: cannot read {name}: {REFUSED[name]}")


def test_plan_stops_at_the_first_of_several_such_files_with_one_message(env: Env) -> None:
    result = plan(env, *REFUSED)
    where = "repo/sesctl.yaml:5:32: templates.t0.html_file"
    assert_one_plain_error(
        result, f"{where}: cannot read /proc/self/environ: {REFUSED['/proc/self/environ']}"
    )
