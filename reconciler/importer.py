"""`sesctl import`: the live account written as a config file in the contract's format.

Each kind's own `read` gives the live state already normalised to the file's names; this
module only drops what the file does not hold (unset values, sesctl's own tags, read-only
values) and writes long template bodies to files beside the output. Applying the result
changes nothing but adding the ownership tags; the plan after that is empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .client import Sesv2
from .errors import SesctlError
from .plan import PROTECT_TAG, STACK_TAG
from .resources import KINDS, STREAMED

SECTIONS = [k.section for k in (*KINDS, *STREAMED)]
SESCTL_TAGS = re.compile(r"^sesctl:")
COMMENTS = {
    "account": "account-level settings: only the fields listed are managed",
    "dedicated_ip_pools": "dedicated IP pools",
    "dedicated_ips": "leased dedicated IPs: the pool each sends from, and warm-up",
    "configuration_sets": "configuration sets, their option groups and event destinations",
    "identities": "identities: DKIM, MAIL FROM, feedback forwarding, default set, policies",
    "templates": "email templates (long bodies live in files beside this one)",
    "contact_lists": "contact lists and their topics",
    "suppressions": "the account-level suppression list (prune: false never deletes entries)",
}


def clean(value: Any) -> Any:
    """Drop unset values and empty mappings, recursively."""
    if isinstance(value, dict):
        cleaned = {k: clean(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in cleaned.items() if v != {}}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def user_tags(tags: dict[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (tags or {}).items() if not SESCTL_TAGS.match(k)}


def entry(kind: str, name: str, state: dict[str, Any]) -> dict[str, Any]:
    """One live resource as the file writes it."""
    data = dict(state)
    if "tags" in data:
        protected = data["tags"].get(PROTECT_TAG) == "true"
        data["tags"] = user_tags(data["tags"])
        if protected:  # the file keeps it protected; without this line apply would unprotect it
            data["protect"] = True
    if kind == "identity":
        signing = data.pop("dkim_signing_attributes", None) or {}
        if "@" in name:
            data.pop("dkim_signing_enabled", None)
        elif signing.get("domain_signing_attributes_origin") == "EXTERNAL":
            variable = "BYODKIM_KEY_" + re.sub(r"\W", "_", name).upper()
            data["dkim_signing_attributes"] = {
                "domain_signing_selector": signing.get("domain_signing_selector"),
                "domain_signing_private_key": f"${{env:{variable}}}",
            }
        elif signing.get("domain_signing_attributes_origin", "AWS_SES") != "AWS_SES":
            data["dkim_signing_attributes"] = {
                "domain_signing_attributes_origin": signing["domain_signing_attributes_origin"]
            }
        elif signing.get("next_signing_key_length"):
            data["dkim_signing_attributes"] = {
                "next_signing_key_length": signing["next_signing_key_length"]
            }
    if kind == "configuration_set":
        data["event_destinations"] = data.get("event_destinations") or {}
    if kind == "account":
        data.pop("tags", None)
    cleaned = clean(data)
    if "tags" in data:  # present, even when empty: the file's tags are authoritative
        cleaned["tags"] = data["tags"]
    if kind == "configuration_set":
        cleaned["event_destinations"] = clean(data["event_destinations"])
    return cleaned


def collect(client: Sesv2, sections: Iterable[str]) -> dict[str, Any]:
    """Read every resource of the chosen sections, in the file's shape."""
    document: dict[str, Any] = {}
    for kind in KINDS:
        if kind.section not in sections:
            continue
        entries = {}
        for name in kind.list_names(client):
            state = kind.read(client, name, None)
            if state is not None:
                entries[name] = entry(kind.kind, name, state)
        if getattr(kind, "singleton", False):
            document[kind.section] = entries.get(kind.kind, {})
        else:
            document[kind.section] = entries
    if "suppressions" in sections:
        pages = client.pages("ListSuppressedDestinations", "SuppressedDestinationSummaries")
        addresses = {item["EmailAddress"]: item["Reason"] for item in pages}
        document["suppressions"] = {"prune": False, "addresses": addresses}
    return document


def write_bodies(document: dict[str, Any], out: Path | None) -> None:
    """Move multi-line HTML and text bodies into template files beside the output file."""
    if out is None:
        return
    for name, template in (document.get("templates") or {}).items():
        for part, suffix in (("html", "html"), ("text", "txt")):
            body = template.get(part)
            if isinstance(body, str) and "\n" in body:
                relative = Path("templates") / f"{name}.{suffix}"
                target = out.parent / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(body, encoding="utf-8")
                template[f"{part}_file"] = relative.as_posix()
                del template[part]


def render(document: dict[str, Any], stack: str, region: str) -> str:
    """The config file text: a header, then each section under a one-line comment."""
    head = {"version": 1, "stack": stack, "region": region}
    parts = [
        "# yaml-language-server: $schema=https://sesctl.dev/schemas/config.v1.json\n"
        f"# Imported by `sesctl import` from {region}. Applying it adds the ownership tag\n"
        f"# {STACK_TAG}={stack} to every taggable resource and changes nothing else.\n",
        yaml.safe_dump(head, sort_keys=False),
    ]
    for section in SECTIONS:
        if section in document:
            parts.append(f"\n# {COMMENTS[section]}\n")
            parts.append(yaml.safe_dump({section: document[section]}, sort_keys=False, width=100))
    return "".join(parts)


def kinds_of(spec: str | None) -> list[str]:
    """`--kinds identities,templates` → sections; every section when not given."""
    if not spec:
        return list(SECTIONS)
    chosen = [part.strip() for part in spec.split(",") if part.strip()]
    unknown = [c for c in chosen if c not in SECTIONS]
    if unknown:
        raise SesctlError(
            f"--kinds: unknown {', '.join(unknown)} (choose from {', '.join(SECTIONS)})"
        )
    return chosen
