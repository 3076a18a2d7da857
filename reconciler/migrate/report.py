"""The migration report: markdown a reviewer reads beside the config before the first apply.

Summary first (counts by section and outcome), then the template names the application must
change to, then every item changed or left out with its reason, then what was converted,
what migrate does not read at all, and the next commands.
"""

from __future__ import annotations

from collections import Counter

from .convert import Item, Migration

SECTIONS = ("Templates", "Identities", "Suppressions", "Unsubscribes")
OUTCOMES = ("converted", "changed", "left out")
NOT_READ = (
    ("API keys", "SES sends with IAM credentials: `sesctl doctor --iam-policy` prints a policy"),
    ("the Event Webhook", "an event destination of a configuration set (`configuration_sets`)"),
    ("categories", "message tags (`send-bulk --tag`), which event destinations can carry"),
    ("IP pools and dedicated IPs", "`dedicated_ip_pools` and `dedicated_ips`"),
    ("link branding", "a configuration set's `tracking_options.custom_redirect_domain`"),
    ("Marketing Campaigns contacts, lists and designs", "not carried over"),
    ("subusers", "one config per subuser's key: run migrate once for each"),
)


def render(migration: Migration, origin: str, config_name: str) -> str:
    items = migration.items
    lines = [
        "# SendGrid to SES migration report",
        "",
        f"Read from {origin}. Wrote `{config_name}` (stack `{migration.config['stack']}`).",
        "Review both, then run the commands under *Next steps*.",
        "",
        "| | converted | changed | left out |",
        "|---|---:|---:|---:|",
    ]
    counts: Counter[tuple[str, str]] = Counter((i.section, i.outcome) for i in items)
    for section in SECTIONS:
        lines.append(
            f"| {section} | " + " | ".join(str(counts[section, o]) for o in OUTCOMES) + " |"
        )
    lines += _template_names(items)
    for outcome, title in (
        ("changed", "Changed"),
        ("left out", "Left out"),
        ("converted", "Converted"),
    ):
        chosen = sorted(
            (i for i in items if i.outcome == outcome), key=lambda i: SECTIONS.index(i.section)
        )
        if chosen:
            lines += ["", f"## {title}", ""] + [_line(i) for i in chosen]
    lines += ["", "## Not read from SendGrid", ""]
    lines += [f"- {what}: {instead}" for what, instead in NOT_READ]
    lines += [
        "",
        "## Next steps",
        "",
        f"1. `sesctl validate {config_name}` checks it and renders each template's test_data.",
        f"2. `sesctl plan {config_name}` shows what apply will create; `sesctl apply` creates it.",
        f"3. `sesctl dns {config_name}` prints the DKIM records each domain needs; SES verifies "
        "the domains once they are published, and mails each address identity a link.",
        "4. Point the application at the SES template names above.",
        "",
    ]
    return "\n".join(lines)


def _template_names(items: list[Item]) -> list[str]:
    converted = [i for i in items if i.section == "Templates" and i.outcome == "converted"]
    if not converted:
        return []
    lines = [
        "",
        "## Template names for the application",
        "",
        "| SendGrid | SES template |",
        "|---|---|",
    ]
    return lines + [
        f"| {_cell(i.source)} | `{i.target.removeprefix('templates.')}` |" for i in converted
    ]


def _line(item: Item) -> str:
    target = f" → `{item.target}`" if item.target else ""
    reason = f": {item.reason}" if item.reason else ""
    return f"- **{item.section}** · {_cell(item.source)}{target}{_cell(reason)}"


def _cell(text: str) -> str:
    """Text as markdown shows it literally: no table breaks, no markup from SendGrid's names."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("`", "\\`")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("<", "&lt;")
        .replace("\n", " ")
    )
