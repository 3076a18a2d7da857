"""What send-bulk refuses before it sends: outputs over inputs, a journal of another send,
more recipients than the 24-hour quota has left."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SesctlError

if TYPE_CHECKING:  # send-bulk's modules load only when it runs
    from ..journal import Journal
    from ..recipients import Fingerprint
    from ..variants import Split

OUTPUTS = (("--journal", "journal"), ("--results", "results"))


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file: the same resolved path (symlinks followed) or inode."""
    if os.path.realpath(first) == os.path.realpath(second):
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def check_paths(o: dict[str, Any], recipients: Path) -> None:
    """Outputs never overwrite inputs, nor each other; the recipients are a regular file."""
    try:
        regular = stat.S_ISREG(os.stat(recipients).st_mode)
    except OSError as exc:
        raise SesctlError(f"--recipients: cannot read {recipients}: {exc.strerror}") from None
    if not regular:
        raise SesctlError(f"--recipients: {recipients} is not a regular file")
    inputs = {"--recipients": recipients}
    if o["default_data"] and o["default_data"].startswith("@"):
        inputs["--default-data"] = Path(o["default_data"][1:])
    outputs = [(name, Path(o[key])) for name, key in OUTPUTS if o[key]]
    for index, (name, output) in enumerate(outputs):
        others = [*inputs.items(), *outputs[:index]]
        for other, given in others:
            if _same_file(output, given):
                raise SesctlError(
                    f"{name}: {output} is the {other} file; refusing to write over it"
                )


def journal_binding(
    o: dict[str, Any], split: Split, default: dict[str, Any], bound: Fingerprint, region: str
) -> dict[str, Any]:
    """What a journal binds to: the recipients file's content and the message parameters."""
    data = hashlib.sha256(json.dumps(default, sort_keys=True).encode()).hexdigest()
    message = {
        "from": o["sender"],
        **_bound_templates(split),
        "default_data": data,
        "configuration_set_name": o["configuration_set"],
        "region": region,
    }
    return {"recipients": {"sha256": bound.sha256, "lines": bound.lines}, "message": message}


def _bound_templates(split: Split) -> dict[str, Any]:
    """One template as journals always bound it; an A/B test's templates, in order, and split."""
    if not split.ab:
        return {"template_name": split.names[0]}
    return {"templates": list(split.names), "split": split.label}


def resume_journal(journal: Journal, binding: dict[str, Any], path: Path) -> None:
    """Replay the journal; refuse one written for another send, naming what differs."""
    from ..recipients import rows

    differs = journal.load(binding, binding["recipients"]["lines"])
    if not differs or journal.header is None:
        return
    parts = [_difference(name, journal.header, binding) for name in differs]
    if differs == ["recipients"]:
        row = journal.changed(rows(path))
        parts[0] += (
            f": {path}:{row.line} is not the row the journal recorded there"
            if row is not None
            else ": rows were added, removed or edited"
        )
    raise SesctlError(
        f"--journal: {journal.path} was written for another send ({'; '.join(parts)}). A "
        "journal resumes only the send it recorded: give a new --journal for a new send"
    )


def _difference(name: str, header: dict[str, Any], binding: dict[str, Any]) -> str:
    """One bound part that differs, with both values where they are names, not digests."""
    from ..journal import BOUND

    if name in ("recipients", "default_data"):
        return f"{BOUND[name]} differs"
    if name in ("template_name", "templates"):
        return f"--template was {_templates(header)}, now {_templates(binding)}"
    was = header["message"].get(name)
    was_shown = "not given" if name == "split" and was is None else repr(was)
    return f"{BOUND[name]} was {was_shown}, now {binding['message'][name]!r}"


def _templates(bound: dict[str, Any]) -> str:
    """The template, or an A/B test's templates, a binding names: `'a', 'b'`."""
    message = bound["message"]
    names = message["templates"] if "templates" in message else [message.get("template_name")]
    return ", ".join(map(repr, names)) if isinstance(names, list) else repr(names)


def check_quota(quota: dict[str, Any], recipients: int, ignore: bool) -> None:
    """Refuse to send more than the 24-hour quota has left (what remains to send counts)."""
    maximum = quota.get("Max24HourSend", -1)
    remaining = maximum - quota.get("SentLast24Hours", 0)
    if maximum >= 0 and recipients > remaining and not ignore:
        raise SesctlError(
            f"{recipients} recipients to send but only {int(remaining)} left of the 24-hour "
            "quota (--ignore-quota sends anyway)"
        )
