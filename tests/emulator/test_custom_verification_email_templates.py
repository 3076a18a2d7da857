"""The emulator's custom verification email templates answer as the SES documents say
(sources in the handler module's docstring)."""

from __future__ import annotations

from typing import Any

from tests.emulator.test_fidelity import ACCOUNT, World, emulator, refused, world

__all__ = ["emulator", "world"]  # the fixtures these tests use

MEMBERS = {
    "FromEmailAddress": "verify@mail.example.com",
    "TemplateSubject": "Confirm",
    "TemplateContent": "<p>Hello</p>",
    "SuccessRedirectionURL": "https://example.com/ok",
    "FailureRedirectionURL": "https://example.com/failed",
}


def create(world: World, name: str = "welcome", **changes: Any) -> Any:
    return world.ses.create_custom_verification_email_template(
        TemplateName=name, **{**MEMBERS, **changes}
    )


def test_the_sender_must_be_verified_itself_or_by_a_domain_above_it(world: World) -> None:
    assert refused(lambda: create(world)) == (
        404,
        "NotFoundException",
        "The from email address verify@mail.example.com is not verified.",
    )
    world.ses.create_email_identity(EmailIdentity="example.com")  # created, not verified
    assert refused(lambda: create(world))[1] == "NotFoundException"
    world.control("/_sesctl/verify", {"identities": ["example.com"]})
    create(world)
    answer = world.ses.get_custom_verification_email_template(TemplateName="welcome")
    assert {k: answer[k] for k in MEMBERS} == MEMBERS and answer["Tags"] == []


def test_create_get_update_list_delete(world: World) -> None:
    world.verified("example.com")
    create(world, Tags=[{"Key": "sesctl:stack", "Value": "s"}])
    assert refused(lambda: create(world)) == (
        400,
        "AlreadyExistsException",
        "Custom verification email template welcome already exists.",
    )
    world.ses.update_custom_verification_email_template(
        TemplateName="welcome", **{**MEMBERS, "TemplateSubject": "New"}
    )
    answer = world.ses.get_custom_verification_email_template(TemplateName="welcome")
    assert answer["TemplateSubject"] == "New"
    assert answer["Tags"] == [{"Key": "sesctl:stack", "Value": "s"}]
    listed = world.ses.list_custom_verification_email_templates()
    (item,) = listed["CustomVerificationEmailTemplates"]
    assert "TemplateContent" not in item and "Tags" not in item
    assert item["TemplateName"] == "welcome" and item["TemplateSubject"] == "New"
    world.ses.delete_custom_verification_email_template(TemplateName="welcome")
    assert refused(
        lambda: world.ses.get_custom_verification_email_template(TemplateName="welcome")
    ) == (404, "NotFoundException", "Custom verification email template welcome does not exist.")
    assert refused(
        lambda: world.ses.delete_custom_verification_email_template(TemplateName="welcome")
    )[:2] == (404, "NotFoundException")


def test_fifty_an_account_and_pages_of_at_most_fifty(world: World) -> None:
    world.verified("example.com")
    for i in range(50):
        create(world, f"t{i:02}")
    assert refused(lambda: create(world, "one-more"))[:2] == (400, "LimitExceededException")
    first = world.ses.list_custom_verification_email_templates(PageSize=20)
    assert len(first["CustomVerificationEmailTemplates"]) == 20 and first["NextToken"]
    assert refused(lambda: world.ses.list_custom_verification_email_templates(PageSize=51))[:2] == (
        400,
        "BadRequestException",
    )


def test_redirection_urls_and_names_ses_refuses(world: World) -> None:
    world.verified("example.com")
    assert refused(lambda: create(world, SuccessRedirectionURL="example.com/ok")) == (
        400,
        "BadRequestException",
        "The success redirection URL is invalid.",
    )
    assert refused(lambda: create(world, FailureRedirectionURL="ftp://x"))[2] == (
        "The failure redirection URL is invalid."
    )
    assert refused(lambda: create(world, "no spaces"))[:2] == (400, "BadRequestException")
    big = "x" * (10 * 1024 * 1024)
    assert refused(lambda: create(world, TemplateContent=big))[:2] == (400, "BadRequestException")


def test_tags_by_arn_type_custom_verification_email_template(world: World) -> None:
    world.verified("example.com")
    create(world)
    arn = f"arn:aws:ses:us-east-1:{ACCOUNT}:custom-verification-email-template/welcome"
    world.ses.tag_resource(ResourceArn=arn, Tags=[{"Key": "sesctl:stack", "Value": "s"}])
    found = world.tagging.get_resources(
        ResourceTypeFilters=["ses:custom-verification-email-template"]
    )
    assert [r["ResourceARN"] for r in found["ResourceTagMappingList"]] == [arn]
    world.ses.untag_resource(ResourceArn=arn, TagKeys=["sesctl:stack"])
    assert world.ses.list_tags_for_resource(ResourceArn=arn)["Tags"] == []
    world.ses.delete_custom_verification_email_template(TemplateName="welcome")
    assert refused(lambda: world.ses.list_tags_for_resource(ResourceArn=arn))[1] == (
        "NotFoundException"
    )
