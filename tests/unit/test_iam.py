"""The IAM policy `doctor --iam-policy` prints: exact for one sender, narrowed by what is known
offline, every ARN in the partition, region and account given."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.errors import SesctlError
from reconciler.iam import parameter_arn, policy

SES = "arn:aws:ses:eu-west-1:111122223333"
SSM = "arn:aws:ssm:eu-west-1:111122223333:parameter"


def test_a_literal_sender_with_a_set_a_template_and_two_parameters() -> None:
    document = policy(
        "news@example.com",
        "eu-west-1",
        "111122223333",
        "aws",
        ["/app/email/from", "/app/email/to"],
        "marketing",
        ["welcome"],
    )
    sending = [
        f"{SES}:identity/example.com",
        f"{SES}:identity/news@example.com",
        f"{SES}:configuration-set/marketing",
        f"{SES}:template/welcome",
    ]
    parameters = [f"{SSM}/app/email/from", f"{SSM}/app/email/to"]
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SendEmailAsSender",
                "Effect": "Allow",
                "Action": ["ses:SendEmail"],
                "Resource": sending,
                "Condition": {"StringEquals": {"ses:FromAddress": "news@example.com"}},
            },
            {
                "Sid": "SendBulkEmailAsSender",
                "Effect": "Allow",
                "Action": ["ses:SendBulkEmail"],
                "Resource": sending,
            },
            {
                "Sid": "ReadEmailTemplates",
                "Effect": "Allow",
                "Action": ["ses:GetEmailTemplate"],
                "Resource": [f"{SES}:template/welcome"],
            },
            {
                "Sid": "ReadSendQuota",
                "Effect": "Allow",
                "Action": ["ses:GetAccount"],
                "Resource": "*",
            },
            {
                "Sid": "ReadParameters",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter"],
                "Resource": parameters,
            },
            {
                "Sid": "DecryptParameters",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": "ssm.eu-west-1.amazonaws.com",
                        "kms:EncryptionContext:PARAMETER_ARN": parameters,
                    }
                },
            },
        ],
    }


def test_an_ssm_sender_grants_its_parameter_and_cannot_pin_the_address() -> None:
    document = policy(
        "${ssm:/app/email/from}",
        "eu-west-1",
        "111122223333",
        parameters=["/app/email/to", "/app/email/from"],
    )
    send, read, decrypt = document["Statement"]
    assert send["Resource"] == [f"{SES}:identity/*"]
    assert "Condition" not in send
    assert read["Resource"] == [f"{SSM}/app/email/from", f"{SSM}/app/email/to"]
    context = decrypt["Condition"]["StringEquals"]["kms:EncryptionContext:PARAMETER_ARN"]
    assert context == read["Resource"]


def test_without_templates_only_send_is_allowed_and_without_parameters_no_ssm() -> None:
    document = policy("ops@example.net", "us-east-1", "111122223333")
    assert [s["Sid"] for s in document["Statement"]] == ["SendEmailAsSender"]
    assert document["Statement"][0]["Resource"] == [
        "arn:aws:ses:us-east-1:111122223333:identity/example.net",
        "arn:aws:ses:us-east-1:111122223333:identity/ops@example.net",
    ]


@pytest.mark.parametrize(
    ("sender", "address"),
    [
        ("News <news@example.com>", "news@example.com"),
        ('"Doe, Jane" <jane@mail.example.com>', "jane@mail.example.com"),
        ("  plain@example.com ", "plain@example.com"),
    ],
)
def test_from_address_is_the_bare_address(sender: str, address: str) -> None:
    (send,) = policy(sender, "us-east-1", "111122223333")["Statement"]
    assert send["Condition"] == {"StringEquals": {"ses:FromAddress": address}}
    assert send["Resource"][-1].endswith(f":identity/{address}")
    assert send["Resource"][0].endswith(f":identity/{address.partition('@')[2]}")


def test_json_is_valid_and_every_arn_is_in_the_partition_region_and_account() -> None:
    document = policy(
        "News <news@example.cn>",
        "cn-north-1",
        "210987654321",
        "aws-cn",
        ["/app/email/from", "app-to"],
        "set-1",
        ["a", "b_2"],
    )
    assert json.loads(json.dumps(document, indent=2)) == document
    arns = list(_arns(document))
    assert len(arns) == 16  # 5 for each send action, 2 templates, 2 parameters twice
    for arn in arns:
        assert arn.split(":")[1:5:2] == ["aws-cn", "cn-north-1"]
        assert arn.split(":")[4] == "210987654321"
        assert "//" not in arn
    assert "arn:aws-cn:ssm:cn-north-1:210987654321:parameter/app-to" in arns
    decrypt = document["Statement"][-1]["Condition"]["StringEquals"]
    assert decrypt["kms:ViaService"] == "ssm.cn-north-1.amazonaws.com.cn"


def test_a_parameter_arn_never_doubles_the_leading_slash() -> None:
    assert parameter_arn("/a/b", "us-east-1", "1") == "arn:aws:ssm:us-east-1:1:parameter/a/b"
    assert parameter_arn("a", "us-east-1", "1") == "arn:aws:ssm:us-east-1:1:parameter/a"


@pytest.mark.parametrize(
    "arguments",
    [
        {"templates": ["*"]},
        {"configuration_set": "set/other"},
        {"parameters": ["/app/*"]},
        {"parameters": ["//app"]},
        {"sender": "${ssm:/app/*}"},
        {"sender": "not an address"},
    ],
)
def test_names_that_would_widen_an_arn_are_refused(arguments: dict[str, Any]) -> None:
    given = {"sender": "news@example.com", "region": "us-east-1", "account": "1", **arguments}
    with pytest.raises(SesctlError):
        policy(**given)


def _arns(value: Any) -> Iterator[str]:
    if isinstance(value, str) and value.startswith("arn:"):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arns(item)
    elif isinstance(value, list):
        for item in value:
            yield from _arns(item)
