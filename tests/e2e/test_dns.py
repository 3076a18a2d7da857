"""`sesctl dns`: the records SES needs, from live state, as a zone file, JSON or octoDNS."""

from __future__ import annotations

import base64
import json

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .conftest import Env

HEAD = "version: 1\nstack: s\nregion: us-east-1\n"


def test_easy_dkim_mail_from_and_dmarc(env: Env) -> None:
    config = env.write(
        HEAD + "identities:\n"
        "  example.com: {mail_from_attributes: {mail_from_domain: bounce.example.com}}\n"
        "  alerts@example.net: {}\n"
    )
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    tokens = env.ses().get_email_identity(EmailIdentity="example.com")["DkimAttributes"]["Tokens"]

    zone = env.sesctl("dns", config)
    assert zone.exit_code == 0, zone.output
    lines = zone.stdout.splitlines()
    assert lines[0] == "; example.com"
    for token in tokens:
        name, target = f"{token}._domainkey.example.com.", f"{token}.dkim.amazonses.com."
        assert f"{name}\t1800\tIN\tCNAME\t{target}\t; Easy DKIM" in lines
    assert (
        "bounce.example.com.\t1800\tIN\tMX\t10 feedback-smtp.us-east-1.amazonses.com.\t; MAIL FROM"
        in lines
    )
    assert (
        'bounce.example.com.\t1800\tIN\tTXT\t"v=spf1 include:amazonses.com ~all"\t; MAIL FROM'
        in lines
    )
    assert any(line.startswith("_dmarc.example.com.") for line in lines)
    assert "example.net" not in zone.stdout

    records = json.loads(env.sesctl("dns", config, "--format", "json").stdout)["records"]
    assert sorted(r["type"] for r in records) == ["CNAME", "CNAME", "CNAME", "MX", "TXT", "TXT"]

    (document,) = yaml.safe_load_all(env.sesctl("dns", config, "--format", "octodns").stdout)
    assert document["bounce"][0]["value"] == {
        "preference": 10,
        "exchange": "feedback-smtp.us-east-1.amazonses.com.",
    }
    assert document[f"{tokens[0]}._domainkey"][0] == {
        "type": "CNAME",
        "ttl": 1800,
        "value": f"{tokens[0]}.dkim.amazonses.com.",
    }


def test_byodkim_selector_txt_carries_the_public_key(env: Env) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    env.monkeypatch.setenv("BYODKIM_KEY", base64.b64encode(der).decode())
    config = env.write(
        HEAD + "identities:\n  byod.example.org:\n    dkim_signing_attributes:\n"
        "      domain_signing_selector: s1\n      domain_signing_private_key: ${env:BYODKIM_KEY}\n"
    )
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    (record,) = [
        r
        for r in json.loads(env.sesctl("dns", config, "--format", "json").stdout)["records"]
        if r["purpose"] == "BYODKIM"
    ]
    assert record["name"] == "s1._domainkey.byod.example.org"
    assert record["value"] == f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"


def test_identity_not_created_yet_is_a_warning(env: Env) -> None:
    config = env.write(HEAD + "identities: {later.example.com: {}}\n")
    result = env.sesctl("dns", config)
    assert result.exit_code == 0 and result.stdout == ""
    assert "identity later.example.com does not exist yet: apply first" in result.stderr
