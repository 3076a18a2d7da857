"""A create whose first answer was lost: claimed only if the stack tag it sent is there.

botocore's Stubber validates each request against the real SES v2 model; the retry is what
botocore reports as RetryAttempts on the answer.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from reconciler.client import ClientSettings, RateLimits, Sesv2
from reconciler.errors import SesctlError
from reconciler.resources.base import create

ARN = "arn:aws:ses:us-east-1:123456789012:template/t"
TAGS = [{"Key": "sesctl:stack", "Value": "mine"}]


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Sesv2:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "t")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "t")
    settings = ClientSettings(region="us-east-1", rate_limits=RateLimits(None))
    found = Sesv2(settings)
    found.account = "123456789012"
    return found


def retried_already_exists(stub: Stubber) -> None:
    stub.add_client_error(
        "create_email_template",
        service_error_code="AlreadyExistsException",
        http_status_code=400,
        response_meta={"RetryAttempts": 1},
    )


def run(client: Sesv2, owner_tags: list[dict[str, str]]) -> Any:
    with Stubber(client.ses) as stub:
        retried_already_exists(stub)
        stub.add_response("list_tags_for_resource", {"Tags": owner_tags}, {"ResourceArn": ARN})
        template = {"Subject": "s", "Text": "t"}
        return create(
            client,
            "CreateEmailTemplate",
            ("template", "t"),
            TemplateName="t",
            TemplateContent=template,
            Tags=TAGS,
        )


def test_our_own_lost_create_is_claimed(client: Sesv2) -> None:
    assert run(client, TAGS) is None


@pytest.mark.parametrize(
    ("tags", "owner"),
    [([{"Key": "sesctl:stack", "Value": "theirs"}], "stack 'theirs'"), ([], "someone else")],
)
def test_a_resource_made_in_between_by_another_is_not_taken(
    client: Sesv2, tags: list[dict[str, str]], owner: str
) -> None:
    with pytest.raises(SesctlError) as info:
        run(client, tags)
    assert info.value.message == (
        f"CreateEmailTemplate: template/t already exists, made by {owner} while this apply's "
        "first attempt went unanswered; not taking it over (plan again)"
    )


def test_an_already_exists_without_a_retry_is_an_error_as_before(client: Sesv2) -> None:
    with Stubber(client.ses) as stub:
        stub.add_client_error(
            "create_email_template",
            service_error_code="AlreadyExistsException",
            http_status_code=400,
        )
        with pytest.raises(SesctlError, match="AlreadyExistsException"):
            create(
                client,
                "CreateEmailTemplate",
                ("template", "t"),
                TemplateName="t",
                TemplateContent={"Subject": "s"},
            )
