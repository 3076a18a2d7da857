"""The DNS records SES needs for the file's identities, from their live state.

Easy DKIM: three CNAMEs to the region's signing hosted zone. BYODKIM: the selector's TXT
record with the public half of the file's key. A custom MAIL FROM domain: its MX and SPF TXT.
And a DMARC policy to start from (monitoring only). Email-address identities need no DNS.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

import yaml

from .errors import SesctlError

TTL = 1800
DEFAULT_SIGNING_ZONE = "dkim.amazonses.com"


@dataclass(frozen=True)
class Record:
    zone: str  # the identity's domain: where the record belongs
    name: str  # fully qualified, without the trailing dot
    type: str
    value: str
    purpose: str
    ttl: int = TTL

    @property
    def relative(self) -> str:
        """The name relative to its zone ('' for the apex), as octoDNS writes it."""
        return "" if self.name == self.zone else self.name.removesuffix(f".{self.zone}")


def records(domain: str, identity: dict[str, Any], region: str, key: str | None) -> list[Record]:
    """The records one domain identity needs, from its GetEmailIdentity answer."""
    out: list[Record] = []
    dkim = identity.get("DkimAttributes") or {}
    if dkim.get("SigningAttributesOrigin") == "EXTERNAL":
        for selector in dkim.get("Tokens") or []:
            value = f"v=DKIM1; k=rsa; p={public_key(key)}" if key else None
            if value is None:
                raise SesctlError(f"identity {domain}: the BYODKIM key is not in the file")
            out.append(Record(domain, f"{selector}._domainkey.{domain}", "TXT", value, "BYODKIM"))
    else:
        zone = dkim.get("SigningHostedZone") or DEFAULT_SIGNING_ZONE
        for token in dkim.get("Tokens") or []:
            name = f"{token}._domainkey.{domain}"
            out.append(Record(domain, name, "CNAME", f"{token}.{zone}.", "Easy DKIM"))
    mail_from = (identity.get("MailFromAttributes") or {}).get("MailFromDomain")
    if mail_from:
        feedback = f"10 feedback-smtp.{region}.amazonses.com."
        out.append(Record(domain, mail_from, "MX", feedback, "MAIL FROM"))
        out.append(
            Record(domain, mail_from, "TXT", "v=spf1 include:amazonses.com ~all", "MAIL FROM")
        )
    dmarc = f"v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}"
    out.append(Record(domain, f"_dmarc.{domain}", "TXT", dmarc, "DMARC (suggested)"))
    return out


def public_key(private_key: str) -> str:
    """The base64 SubjectPublicKeyInfo of a base64 (DER) or PEM RSA private key."""
    from cryptography.hazmat.primitives import serialization

    text = private_key.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = serialization.load_der_private_key(base64.b64decode(text), password=None)
    except (ValueError, TypeError):
        raise SesctlError("the BYODKIM private key is not a base64 or PEM RSA key") from None
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def _txt(value: str) -> str:
    """A TXT value in zone-file form: quoted, split into 255-character strings."""
    chunks = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join(json.dumps(chunk) for chunk in chunks)


def zone_file(found: list[Record]) -> str:
    lines = []
    for zone, group in _by_zone(found).items():
        lines.append(f"; {zone}")
        for r in group:
            value = _txt(r.value) if r.type == "TXT" else r.value
            lines.append(f"{r.name}.\t{r.ttl}\tIN\t{r.type}\t{value}\t; {r.purpose}")
        lines.append("")
    return "\n".join(lines)


def as_json(found: list[Record]) -> str:
    return json.dumps({"records": [asdict(r) for r in found]}, indent=2) + "\n"


def octodns(found: list[Record]) -> str:
    """One YAML document per zone in octoDNS's record format (names relative to the zone)."""
    documents = []
    for zone, group in _by_zone(found).items():
        names: dict[str, list[dict[str, Any]]] = defaultdict(list)
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for r in group:
            key = (r.relative, r.type)
            if key not in merged:
                merged[key] = {"type": r.type, "ttl": r.ttl, "values": []}
                names[r.relative].append(merged[key])
            merged[key]["values"].append(_octodns_value(r))
        body = {
            name: [
                {k: v for k, v in entry.items() if k != "values"}
                | (
                    {"value": entry["values"][0]}
                    if len(entry["values"]) == 1
                    else {"values": entry["values"]}
                )
                for entry in entries
            ]
            for name, entries in names.items()
        }
        documents.append(f"# zone {zone}.\n" + yaml.safe_dump(body, sort_keys=True))
    return "---\n".join(documents)


def _octodns_value(record: Record) -> Any:
    if record.type == "MX":
        preference, exchange = record.value.split(" ", 1)
        return {"preference": int(preference), "exchange": exchange}
    if record.type == "TXT":
        return record.value.replace(";", "\\;")
    return record.value


def _by_zone(found: list[Record]) -> dict[str, list[Record]]:
    zones: dict[str, list[Record]] = defaultdict(list)
    for record in found:
        zones[record.zone].append(record)
    return dict(sorted(zones.items()))
