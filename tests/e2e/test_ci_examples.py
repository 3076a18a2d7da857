"""The CI examples run as written: every sesctl line of the pipelines, through bash, against the
emulator, with the exit codes each pipeline acts on."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import EXAMPLES, Env

ROOT = EXAMPLES.parent
CI = EXAMPLES / "ci"
STACK = "quickstart"  # the `stack:` of examples/quickstart.yaml, the file the pipelines get
INVOKES_SESCTL = re.compile(r"(?:^|[;&|]\s*)sesctl\s")
GITHUB_ENV_EXPRESSION = re.compile(r"\$\{\{\s*env\.(\w+)\s*\}\}")
GITLAB_KEYWORDS = {"default", "include", "stages", "variables", "workflow"}
# What each sesctl line is, in the order the pipelines hold them. GitHub applies the plan the
# pull request saved; GitLab plans the merged commit again and applies that saved plan.
STEPS = {
    "github-actions.yml": ["validate", "review plan", "apply saved plan", "drift check"],
    "gitlab-ci.yml": ["validate", "review plan", "saved plan", "apply saved plan", "drift check"],
}


def sesctl_lines(script: str) -> list[str]:
    """The lines of a shell script that run sesctl (not comments, not `pip install sesctl`)."""
    lines = (line.strip() for line in script.splitlines())
    return [line for line in lines if not line.startswith("#") and INVOKES_SESCTL.search(line)]


def github(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The workflow's `env:` and its sesctl lines, `${{ env.X }}` written as `$X`."""
    workflow = yaml.safe_load(path.read_text())
    scripts = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    lines = [GITHUB_ENV_EXPRESSION.sub(r"$\1", line) for s in scripts for line in sesctl_lines(s)]
    assert not any("${{" in line for line in lines), lines
    return workflow["env"], lines


def gitlab(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The pipeline's `variables:` and its jobs' sesctl lines (hidden templates only install)."""
    pipeline = yaml.safe_load(path.read_text())
    jobs = [
        job
        for name, job in pipeline.items()
        if name not in GITLAB_KEYWORDS and not name.startswith(".") and "script" in job
    ]
    scripts = [
        entry
        for job in jobs
        for key in ("before_script", "script", "after_script")
        for entry in job.get(key, [])
    ]
    return pipeline["variables"], [line for s in scripts for line in sesctl_lines(s)]


PIPELINES: dict[str, Callable[[Path], tuple[dict[str, Any], list[str]]]] = {
    "github-actions.yml": github,
    "gitlab-ci.yml": gitlab,
}


def step(line: str) -> str:
    """Which pipeline step a sesctl line is."""
    found = INVOKES_SESCTL.search(line)
    assert found, line
    command = line[found.end() :].split()[0]
    if command == "validate":
        return "validate"
    if command == "apply":
        return "apply saved plan" if "plan.json" in line else "apply"
    if "--format markdown" in line:
        return "review plan"
    if "--format json" in line and "--detailed-exitcode" in line:
        return "drift check"
    return "saved plan" if "--out" in line else "plan"


@dataclass
class Ran:
    code: int  # the exit code the pipeline acts on
    log: str


@dataclass
class Runner:
    """Runs pipeline lines as the CI runner would: bash -eo pipefail, in the checkout."""

    env: Env
    variables: dict[str, Any]

    def environ(self) -> dict[str, str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        environ.update({k: str(v) for k, v in self.variables.items() if k.startswith("SESCTL_")})
        bin_dir = str(Path(sys.executable).parent)  # the console script of this venv
        assert shutil.which("sesctl", path=bin_dir), f"no sesctl console script in {bin_dir}"
        environ.update(
            SESCTL_STACK=STACK,
            PATH=bin_dir + os.pathsep + environ.get("PATH", ""),
            GITHUB_OUTPUT=str(self.env.tmp / "github-output"),
            AWS_ENDPOINT_URL=self.env.url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION="us-east-1",
            AWS_EC2_METADATA_DISABLED="true",
        )
        return environ

    def run(self, line: str) -> Ran:
        """Run one line; the code is the step's, or the one it saved for later steps to read."""
        outputs = self.env.tmp / "github-output"
        outputs.write_text("")
        result = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", line],
            cwd=self.env.tmp,
            env=self.environ(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        log = f"$ {line}\n[exit {result.returncode}]\n{result.stdout}{result.stderr}"
        if "$GITHUB_OUTPUT" in line:
            assert result.returncode == 0, log
            saved = re.findall(r"^code=(\d+)$", outputs.read_text(), re.MULTILINE)
            return Ran(int(saved[-1]), log)
        if "plan.exit" in line:
            assert result.returncode == 0, log
            return Ran(int((self.env.tmp / "plan.exit").read_text()), log)
        return Ran(result.returncode, log)


def read_json(env: Env, name: str) -> Any:
    return json.loads((env.tmp / name).read_text())


@pytest.mark.parametrize("name", PIPELINES)
def test_pipelines_validate_plan_apply_and_check_drift(name: str) -> None:
    _, lines = PIPELINES[name](CI / name)
    assert lines, f"{name} runs no sesctl line"
    assert [step(line) for line in lines] == STEPS[name], lines


@pytest.mark.parametrize("name", PIPELINES)
def test_pipeline_lines_run_as_written(env: Env, name: str) -> None:
    """Review plan (changes) → saved plan applied → no drift → out-of-band change → drift."""
    variables, lines = PIPELINES[name](CI / name)
    by_step = dict(zip(STEPS[name], lines, strict=True))
    validate, review, apply, drift = (
        by_step[s] for s in ("validate", "review plan", "apply saved plan", "drift check")
    )
    shutil.copy(EXAMPLES / "quickstart.yaml", env.tmp / str(variables["SESCTL_CONFIG"]))
    runner = Runner(env, variables)

    ran = runner.run(validate)
    assert ran.code == 0, ran.log
    ran = runner.run(review)
    assert ran.code == 2, ran.log
    assert (env.tmp / "plan.md").read_text().startswith(f"<!-- sesctl-plan:{STACK} -->\n")
    assert isinstance(read_json(env, "plan.json"), dict)
    if "saved plan" in by_step:
        ran = runner.run(by_step["saved plan"])
        assert ran.code == 0, ran.log
    ran = runner.run(apply)
    assert ran.code == 0, ran.log
    assert env.ses().get_email_template(TemplateName="welcome")["TemplateName"] == "welcome"

    ran = runner.run(drift)
    assert ran.code == 0, ran.log
    assert read_json(env, "drift.json")["changes"] == []
    env.ses().delete_email_template(TemplateName="welcome")
    ran = runner.run(drift)
    assert ran.code == 2, ran.log
    changes = read_json(env, "drift.json")["changes"]
    assert [(c["kind"], c["name"], c["action"]) for c in changes] == [
        ("template", "welcome", "create")
    ]


def test_review_comments_look_for_the_plan_marker() -> None:
    """The comment and note scripts find their own by the line a markdown plan starts with."""
    assert (
        "`<!-- sesctl-plan:${process.env.SESCTL_STACK} -->`"
        in (CI / "github-actions.yml").read_text()
    )
    assert (
        "f\"<!-- sesctl-plan:{os.environ['SESCTL_STACK']} -->\""
        in (CI / "gitlab-ci.yml").read_text()
    )


def test_applies_are_serialised_per_stack() -> None:
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    apply = workflow["jobs"]["apply"]
    group = {"group": f"sesctl-{workflow['env']['SESCTL_STACK']}", "cancel-in-progress": False}
    assert apply["concurrency"] == group
    assert apply["permissions"]["id-token"] == "write"
    pipeline = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    assert pipeline["apply"]["resource_group"] == "sesctl-$SESCTL_STACK"


def pre_commit_hook() -> dict[str, Any]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = (h for h in hooks if h["id"] == "sesctl-validate")
    return hook


def test_pre_commit_hook_picks_sesctl_yaml_files() -> None:
    hook = pre_commit_hook()
    assert hook["language"] == "python" and hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    for path in ("sesctl.yaml", "stacks/sesctl-prod.yml", "sesctl.eu.yaml"):
        assert files.search(path), path
    for path in ("values.yaml", "mysesctl.yaml", "sesctl/config.yaml", "sesctl.md"):
        assert not files.search(path), path


def test_pre_commit_hook_passes_a_valid_file_and_blocks_a_broken_one(env: Env) -> None:
    entry = pre_commit_hook()["entry"]
    runner = Runner(env, {})
    shutil.copy(EXAMPLES / "quickstart.yaml", env.tmp / "sesctl.yaml")
    ran = runner.run(f"{entry} sesctl.yaml")
    assert ran.code == 0, ran.log
    broken = "version: 1\nstack: s\nidentities:\n  a.com: {bogus: 1}\n"
    (env.tmp / "sesctl-broken.yaml").write_text(broken)
    ran = runner.run(f"{entry} sesctl-broken.yaml")
    assert ran.code == 1, ran.log
    assert "identities.a.com.bogus" in ran.log
    ran = runner.run(f"{entry} sesctl-broken.yaml sesctl.yaml")  # pre-commit passes them all
    assert ran.code == 1, ran.log
    assert "identities.a.com.bogus" in ran.log and "sesctl.yaml: valid" in ran.log


@pytest.mark.parametrize("name", sorted(STEPS))
def test_the_pipelines_install_sesctl_from_its_repository_pinned_to_a_commit(name: str) -> None:
    """sesctl is not on the package index: `pip install sesctl==…` would install whatever
    holds that name there. The pipelines install from the repository at a pinned commit."""
    text = (CI / name).read_text()
    installs = [s for s in re.findall(r"pip install[^\n]*", text) if "instead" not in s]
    assert installs and all('"sesctl @ $SESCTL_SOURCE"' in line for line in installs), installs
    document = yaml.safe_load(text)
    source = (document.get("env") or document.get("variables"))["SESCTL_SOURCE"]
    assert re.fullmatch(r"git\+https://\S+@[0-9a-f]{40}", source), source
