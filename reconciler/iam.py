"""The least-privilege IAM policy an application needs to send as one sender with `send` and
`send-bulk`, its sender and recipients read from SSM Parameter Store SecureStrings
(`sesctl doctor --iam-policy`).

What each statement grants, and why, from AWS's documentation:

- "Actions, resources, and condition keys for Amazon Simple Email Service v2" (Service
  Authorization Reference). `ses:SendEmail` requires an `identity` and accepts a
  `configuration-set` and a `template`; its condition keys include `ses:FromAddress`,
  `ses:FromDisplayName`, `ses:Recipients` and `ses:FeedbackAddress`. `ses:SendBulkEmail`
  requires an `identity` and a `template` and accepts a `configuration-set`, but lists none of
  those address keys: a `StringEquals` on `ses:FromAddress` would never match it and deny every
  bulk send, so the bulk statement is bound by its resources alone. `ses:GetEmailTemplate`
  requires a `template`; `ses:GetAccount` has no resource type (`"*"`). The ARNs are
  `arn:${Partition}:ses:${Region}:${Account}:identity/${IdentityName}`, `…:template/${Name}`
  and `…:configuration-set/${Name}`.
- "Identity and access management in Amazon SES" (developer guide; the examples "Restricting
  the 'From' address" and "Restricting the display name of the email sender"): the `Resource`
  of a sending action is the ARN of the identities it may send from, and `ses:FromAddress`,
  compared with `StringEquals`, pins the "From" address; the display name has a key of its
  own (`ses:FromDisplayName`), so the address is given bare.
- "Creating and verifying identities in Amazon SES": a domain identity covers its addresses, and
  an address may also be an identity of its own; both ARNs are granted, so sending works
  whichever of the two the account holds.
- "Actions, resources, and condition keys for AWS Systems Manager" and "Restricting access to
  Parameter Store parameters using IAM policies": `ssm:GetParameter` on
  `arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}`.
- "AWS KMS encryption for AWS Systems Manager Parameter Store SecureString parameters" and
  "Condition keys for AWS KMS": reading a SecureString decrypted needs `kms:Decrypt` on its key;
  Parameter Store puts the parameter's ARN in the encryption context (`PARAMETER_ARN`) and calls
  KMS as `ssm.<region>.<DNS suffix>` (`kms:ViaService`). The key's ARN is not known offline (the
  AWS managed `aws/ssm` key, or the team's own), so the statement names every key and is held to
  those two conditions: only through Parameter Store, only for these parameters.

Not in the policy: `sts:GetCallerIdentity`, which needs no permission.

A sender given as a reference (`${ssm:/app/email/from}`) is only known when the application
reads it: the policy grants reading its parameter, allows every identity of the account
(`identity/*`) and cannot pin `ses:FromAddress`. Without templates the policy allows `send` of
simple messages only: `send-bulk` always sends a template.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from email.utils import parseaddr
from typing import Any

from .errors import SesctlError
from .models import SIMPLE, SIMPLE_RULE
from .secrets import REFERENCE

VERSION = "2012-10-17"
ACCOUNT_PLACEHOLDER = "ACCOUNT_ID"
# The DNS suffix of each partition's service endpoints (botocore's endpoint data), for
# `kms:ViaService`; every other partition is amazonaws.com.
DNS_SUFFIXES = {
    "aws-cn": "amazonaws.com.cn",
    "aws-iso": "c2s.ic.gov",
    "aws-iso-b": "sc2s.sgov.gov",
    "aws-iso-e": "cloud.adc-e.uk",
    "aws-iso-f": "csp.hci.ic.gov",
    "aws-eusc": "amazonaws.eu",
}
# Parameter Store's rule for names: letters, digits, `_ . -`, and `/` between levels.
PARAMETER_NAME = re.compile(r"/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")
NAME = re.compile(SIMPLE)


def policy(
    sender: str,
    region: str,
    account: str,
    partition: str = "aws",
    parameters: Sequence[str] = (),
    configuration_set: str | None = None,
    templates: Sequence[str] = (),
) -> dict[str, Any]:
    """The policy document: sending as `sender` (an address, `Name <address>`, or a reference
    read at send time) in `region` of `account`, reading `parameters` (and the sender's SSM
    parameter) decrypted."""
    names = _unique([*sender_parameters(sender), *parameters])
    check_names(names, configuration_set, templates)

    def ses(kind: str, name: str) -> str:
        return f"arn:{partition}:ses:{region}:{account}:{kind}/{name}"

    address = from_address(sender)
    if address is None:
        identities = [ses("identity", "*")]
        condition: dict[str, Any] = {}
    else:
        identities = [ses("identity", domain(address)), ses("identity", address)]
        condition = {"Condition": {"StringEquals": {"ses:FromAddress": address}}}
    configuration = [ses("configuration-set", configuration_set)] if configuration_set else []
    template_arns = [ses("template", name) for name in _unique(templates)]
    statements = [
        {
            "Sid": "SendEmailAsSender",
            "Effect": "Allow",
            "Action": ["ses:SendEmail"],
            "Resource": [*identities, *configuration, *template_arns],
            **condition,
        }
    ]
    if template_arns:
        statements += [
            {
                "Sid": "SendBulkEmailAsSender",
                "Effect": "Allow",
                "Action": ["ses:SendBulkEmail"],
                "Resource": [*identities, *configuration, *template_arns],
            },
            {
                "Sid": "ReadEmailTemplates",
                "Effect": "Allow",
                "Action": ["ses:GetEmailTemplate"],
                "Resource": template_arns,
            },
            {
                "Sid": "ReadSendQuota",
                "Effect": "Allow",
                "Action": ["ses:GetAccount"],
                "Resource": "*",
            },
        ]
    if names:
        arns = [parameter_arn(name, region, account, partition) for name in names]
        suffix = DNS_SUFFIXES.get(partition, "amazonaws.com")
        statements += [
            {
                "Sid": "ReadParameters",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter"],
                "Resource": arns,
            },
            {
                "Sid": "DecryptParameters",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"ssm.{region}.{suffix}",
                        "kms:EncryptionContext:PARAMETER_ARN": arns,
                    }
                },
            },
        ]
    return {"Version": VERSION, "Statement": statements}


def check_names(
    parameters: Iterable[str], configuration_set: str | None, templates: Iterable[str]
) -> None:
    """Refuse a name SES or Parameter Store would not hold: one with `*` or `?` in it would
    widen an ARN into a pattern."""
    for name in (configuration_set, *templates):
        if name is not None and not NAME.fullmatch(name):
            raise SesctlError(f"{name!r} is not an SES name: {SIMPLE_RULE}")
    for name in parameters:
        if not PARAMETER_NAME.fullmatch(name):
            raise SesctlError(
                f"{name!r} is not an SSM parameter name: letters, digits, '_', '.', '-', "
                "and '/' between levels"
            )


def from_address(sender: str) -> str | None:
    """The bare address `ses:FromAddress` is compared with (display name dropped); None when
    the sender holds a reference, known only when the application reads it."""
    if REFERENCE.search(sender):
        return None
    address = parseaddr(sender)[1]
    if "@" not in address:
        raise SesctlError(f"{sender!r} is not an email address")
    return address


def domain(address: str) -> str:
    return address.rpartition("@")[2]


def sender_parameters(sender: str) -> list[str]:
    """The SSM parameters a sender's `${ssm:…}` references read."""
    return [name.strip() for source, name in REFERENCE.findall(sender) if source == "ssm"]


def parameter_arn(name: str, region: str, account: str, partition: str = "aws") -> str:
    """A parameter's ARN: its name after `parameter/`, a leading slash not doubled."""
    return f"arn:{partition}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
