"""The flows without the CLI: what plan and apply refuse to load, and the guards' review."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import workflow
from reconciler.errors import GuardError, SesctlError
from reconciler.plan import PROTECT_TAG, Change, Plan

CONFIG = "version: 1\nstack: s\ntemplates:\n  welcome: {subject: Hi, html_file: welcome.html}\n"


def config_in(tmp_path: Path) -> Path:
    (tmp_path / "welcome.html").write_text("<p>Hello</p>\n")
    path = tmp_path / "sesctl.yaml"
    path.write_text(CONFIG)
    return path


def test_load_checked_refuses_an_output_that_is_a_file_the_plan_is_read_from(
    tmp_path: Path,
) -> None:
    config = config_in(tmp_path)
    for output in (tmp_path / "sub" / ".." / "sesctl.yaml", tmp_path / "welcome.html"):
        with pytest.raises(SesctlError, match="is a file the plan is read from"):
            workflow.load_checked(config, (None, output))
    loaded = workflow.load_checked(config, (tmp_path / "plan.json", None))
    assert loaded.model.stack == "s"


def test_load_checked_refuses_a_template_ses_would_refuse(tmp_path: Path) -> None:
    config = config_in(tmp_path)
    (tmp_path / "welcome.html").write_text("<p>Hello {{#if name}}</p>\n")
    with pytest.raises(SesctlError, match=r"templates\.welcome\.html_file"):
        workflow.load_checked(config)


def test_review_refuses_a_protected_delete_whatever_the_flags() -> None:
    protected = Change("delete", "template", "t", before={"tags": {PROTECT_TAG: "true"}})
    allowed = workflow.Allowed(force=True, identity_deletion=True)
    reviewed = workflow.review(Plan("s", "us-east-1", [protected]), allowed)
    assert [refusal.guard for refusal in reviewed.verdict.blocking] == ["protected"]
    assert isinstance(reviewed.refusal, GuardError) and reviewed.refusal.exit_code == 3
    assert "refused: template t is protected" in reviewed.refusal.message


def test_review_lets_an_identity_deletion_through_only_with_its_flag() -> None:
    doomed = Change("delete", "identity", "example.com", before={"tags": {}})
    the_plan = Plan("s", "us-east-1", [doomed])
    assert workflow.review(the_plan, workflow.Allowed()).refusal is not None
    assert workflow.review(the_plan, workflow.Allowed(identity_deletion=True)).refusal is None
