"""Benchmark plan and apply on a large account under SES's quotas (scaled 20 times), in one run.

    python -m tests.benchmarks.scale            # the issue's sizes (minutes)
    python -m tests.benchmarks.scale --quick    # a tenth of them, to check it still runs

The account: 10,000 identities (500 owned by the stack), 2,000 templates (200 owned), 200
configuration sets with 3 event destinations each (50 owned), 100,000 suppression entries
(the file lists 200 of them, prune: false, so the list is streamed). The emulator, in its own
process, answers TooManyRequestsException past 20 calls/s per operation and 1,000/s for
GetEmailTemplate; sesctl runs with the same quotas in --api-rate.

Reported side by side:
(a) a plan that finds no changes: API calls per operation against the floor (one read per
    owned resource, plus list and tag pages), wall time against the floor (the slowest
    operation's calls / rate) and against a sequential baseline (the same calls, paced, one
    after another), throttling errors that reached the user;
(b) apply creating the owned identities, templates and sets from nothing: the same figures;
(c) peak memory of the plan with 10,000 and with 100,000 suppression entries.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session

from reconciler.client import RateLimiter, RateLimits

from .send_bulk import ENV, SESCTL, Emulator, emulator

STACK = "bench"
RATE, TEMPLATE_RATE = 20.0, 1000.0
API_RATE = f"{RATE:g},GetEmailTemplate={TEMPLATE_RATE:g}"
TOPIC = "arn:aws:sns:us-east-1:123456789012:bench"
PAGE = {"ListEmailIdentities": 1000, "ListEmailTemplates": 100, "ListConfigurationSets": 1000}


@dataclass(frozen=True)
class Sizes:
    identities: int = 10_000
    owned_identities: int = 500
    templates: int = 2_000
    owned_templates: int = 200
    sets: int = 200
    owned_sets: int = 50
    destinations: int = 3
    suppressions: int = 100_000
    listed_suppressions: int = 200

    def quick(self) -> Sizes:
        return Sizes(1_000, 50, 200, 20, 20, 5, 3, 10_000, 150)


def identity(i: int, sizes: Sizes) -> str:
    return f"own{i:05}.example.com" if i < sizes.owned_identities else f"other{i:05}.example.com"


def template(i: int, sizes: Sizes) -> str:
    return f"own-t{i:05}" if i < sizes.owned_templates else f"other-t{i:05}"


def config_set(i: int, sizes: Sizes) -> str:
    return f"own-cs{i:04}" if i < sizes.owned_sets else f"other-cs{i:04}"


def address(i: int) -> str:
    return f"s{i:06}@example.com"


def seed_calls(sizes: Sizes, owned: bool) -> list[dict[str, Any]]:
    """CreateXxx calls for the account: with or without the stack's own resources."""
    tags = [{"Key": "sesctl:stack", "Value": STACK}]
    calls: list[dict[str, Any]] = []

    def add(operation: str, mine: bool, **params: Any) -> None:
        if owned or not mine:
            calls.append({"operation": operation, "params": params})

    for i in range(sizes.identities):
        mine = i < sizes.owned_identities
        add(
            "CreateEmailIdentity", mine, EmailIdentity=identity(i, sizes), Tags=tags if mine else []
        )
    for i in range(sizes.templates):
        mine = i < sizes.owned_templates
        content = {"Subject": f"Subject {i}", "Text": "Hello {{name}}"}
        add("CreateEmailTemplate", mine, TemplateName=template(i, sizes),
            TemplateContent=content, Tags=tags if mine else [])  # fmt: skip
    for i in range(sizes.sets):
        mine, name = i < sizes.owned_sets, config_set(i, sizes)
        add("CreateConfigurationSet", mine, ConfigurationSetName=name, Tags=tags if mine else [])
        for j in range(sizes.destinations):
            destination = {
                "Enabled": True,
                "MatchingEventTypes": ["BOUNCE"],
                "SnsDestination": {"TopicArn": TOPIC},
            }
            add("CreateConfigurationSetEventDestination", mine, ConfigurationSetName=name,
                EventDestinationName=f"d{j}", EventDestination=destination)  # fmt: skip
    return calls


def seed(account: Emulator, sizes: Sizes, owned: bool, suppressions: int) -> None:
    account.control("POST", "/_sesctl/reset")
    calls = seed_calls(sizes, owned)
    for start in range(0, len(calls), 2000):
        account.control("POST", "/_sesctl/seed", {"calls": calls[start : start + 2000]})
    entries = {address(i): "BOUNCE" for i in range(suppressions)}
    account.control("POST", "/_sesctl/suppressions", {"entries": entries})
    account.control(
        "POST",
        "/_sesctl/hardness",
        {"control_plane_rate": RATE, "template_read_rate": TEMPLATE_RATE},
    )
    account.control("DELETE", "/_sesctl/calls")


def config_text(sizes: Sizes) -> str:
    lines = [f"version: 1\nstack: {STACK}\nregion: us-east-1\nidentities:"]
    lines += [f"  {identity(i, sizes)}: {{}}" for i in range(sizes.owned_identities)]
    lines.append("templates:")
    lines += [
        f"  {template(i, sizes)}: {{subject: 'Subject {i}', text: 'Hello {{{{name}}}}'}}"
        for i in range(sizes.owned_templates)
    ]
    lines.append("configuration_sets:")
    for i in range(sizes.owned_sets):
        lines += [f"  {config_set(i, sizes)}:", "    event_destinations:"]
        destination = (
            f"{{matching_event_types: [BOUNCE], sns_destination: {{topic_arn: '{TOPIC}'}}}}"
        )
        lines += [f"      d{j}: {destination}" for j in range(sizes.destinations)]
    lines += ["suppressions:", "  prune: false", "  addresses:"]
    lines += [f"    {address(i)}: BOUNCE" for i in range(sizes.listed_suppressions)]
    return "\n".join(lines) + "\n"


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    exit_code: int
    output: str
    calls: dict[str, int]
    throttled: int


def sesctl(account: Emulator, *args: str) -> Run:
    """The real CLI in a child process: wall time, peak memory, the calls the emulator saw."""
    account.control("DELETE", "/_sesctl/calls")
    command = [*SESCTL, *args, "--endpoint-url", account.url, "--api-rate", API_RATE]
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=ENV, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        output.seek(0)
        text = output.read()
    seen = account.control("GET", "/_sesctl/calls")
    code = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_maxrss / 1024, code, text[-3000:], seen["calls"],
               sum(seen["throttled"].values()))  # fmt: skip


def plan_floor(sizes: Sizes) -> dict[str, int]:
    """The fewest calls a plan that finds nothing to do can make, per operation."""
    owned = sizes.owned_identities + sizes.owned_templates + sizes.owned_sets
    return {
        "ListEmailIdentities": math.ceil(sizes.identities / PAGE["ListEmailIdentities"]),
        "ListEmailTemplates": math.ceil(sizes.templates / PAGE["ListEmailTemplates"]),
        "ListConfigurationSets": math.ceil(sizes.sets / PAGE["ListConfigurationSets"]),
        "GetResources": math.ceil(owned / 100),
        "GetEmailIdentity": sizes.owned_identities,
        "GetEmailTemplate": sizes.owned_templates,
        "GetConfigurationSet": sizes.owned_sets,
        "GetConfigurationSetEventDestinations": sizes.owned_sets,
        "ListSuppressedDestinations": math.ceil(sizes.suppressions / 1000),
    }


def create_floor(sizes: Sizes) -> dict[str, int]:
    return {
        "CreateEmailIdentity": sizes.owned_identities,
        "CreateEmailTemplate": sizes.owned_templates,
        "CreateConfigurationSet": sizes.owned_sets,
        "CreateConfigurationSetEventDestination": sizes.owned_sets * sizes.destinations,
    }


def rate_of(operation: str) -> float:
    return TEMPLATE_RATE if operation == "GetEmailTemplate" else RATE


def floor_seconds(calls: dict[str, int]) -> float:
    """The slowest operation's calls over its rate: no client can be faster."""
    return max(count / rate_of(operation) for operation, count in calls.items())


def sequential(account: Emulator, calls: list[tuple[str, dict[str, Any]]]) -> float:
    """Seconds for the same calls one after another, each operation paced at its quota."""
    session = botocore.session.get_session()
    client = session.create_client(
        "sesv2", region_name="us-east-1", endpoint_url=account.url,
        aws_access_key_id="bench", aws_secret_access_key="bench",
    )  # fmt: skip
    tagging = session.create_client(
        "resourcegroupstaggingapi", region_name="us-east-1", endpoint_url=account.url,
        aws_access_key_id="bench", aws_secret_access_key="bench",
    )  # fmt: skip
    limiter = RateLimiter(RateLimits.parse(API_RATE))
    started = time.perf_counter()
    for operation, params in calls:
        limiter.wait(operation)
        target = tagging if operation == "GetResources" else client
        getattr(target, botocore.xform_name(operation))(**params)
    return time.perf_counter() - started


def plan_calls(sizes: Sizes) -> list[tuple[str, dict[str, Any]]]:
    """What a plan of this account must ask, as the sequential baseline asks it."""
    calls: list[tuple[str, dict[str, Any]]] = []
    for operation, pages in plan_floor(sizes).items():
        if operation.startswith("List") or operation == "GetResources":
            calls += [(operation, _page_params(operation))] * pages
    calls += [("GetEmailIdentity", {"EmailIdentity": identity(i, sizes)})
              for i in range(sizes.owned_identities)]  # fmt: skip
    calls += [("GetEmailTemplate", {"TemplateName": template(i, sizes)})
              for i in range(sizes.owned_templates)]  # fmt: skip
    for i in range(sizes.owned_sets):
        name = {"ConfigurationSetName": config_set(i, sizes)}
        calls += [("GetConfigurationSet", name), ("GetConfigurationSetEventDestinations", name)]
    return calls


def _page_params(operation: str) -> dict[str, Any]:
    if operation == "GetResources":
        return {"ResourcesPerPage": 100, "TagFilters": [{"Key": "sesctl:stack"}]}
    if operation == "ListSuppressedDestinations":
        return {"PageSize": 1000}
    return {"PageSize": PAGE[operation]}


def create_calls(sizes: Sizes) -> list[tuple[str, dict[str, Any]]]:
    return [
        (c["operation"], c["params"])
        for c in seed_calls(sizes, owned=True)
        if any(str(v).startswith("own") for v in c["params"].values())
    ]


def compared(run: Run, floor: dict[str, int], floor_s: float, baseline_s: float) -> dict[str, Any]:
    calls = {op: run.calls.get(op, 0) for op in floor}
    extra = {op: n for op, n in run.calls.items() if op not in floor}
    return {
        "exit_code": run.exit_code,
        "calls_per_operation": {op: f"{calls[op]} (floor {floor[op]})" for op in floor},
        "other_calls": extra,
        "at_the_floor": all(calls[op] <= floor[op] for op in floor),
        "wall_s": round(run.seconds, 2),
        "floor_s": round(floor_s, 2),
        "wall_over_floor": round(run.seconds / floor_s, 3),
        "sequential_baseline_s": round(baseline_s, 2),
        "sequential_over_sesctl": round(baseline_s / run.seconds, 2),
        "throttled_at_the_emulator": run.throttled,
        "throttling_errors_shown": run.output.count("TooManyRequests"),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    options = parser.parse_args(argv)
    sizes = Sizes().quick() if options.quick else Sizes()
    report: dict[str, Any] = {"sizes": sizes.__dict__, "rates": API_RATE}
    with emulator() as account, tempfile.TemporaryDirectory() as work:
        path = Path(work) / "bench.yaml"
        path.write_text(config_text(sizes))

        seed(account, sizes, owned=True, suppressions=sizes.suppressions)
        planned = sesctl(account, "plan", str(path), "--detailed-exitcode")
        baseline = sequential(account, plan_calls(sizes))
        floor = plan_floor(sizes)
        report["plan_no_changes"] = compared(planned, floor, floor_seconds(floor), baseline)
        report["plan_no_changes"]["max_rss_mb"] = round(planned.max_rss_mb, 1)

        seed(account, sizes, owned=False, suppressions=sizes.suppressions)
        applied = sesctl(account, "apply", str(path), "--auto-approve")
        lists = {
            op: n for op, n in floor.items() if not op.startswith("Get") or op == "GetResources"
        }
        creates = create_floor(sizes)
        seed(account, sizes, owned=False, suppressions=sizes.suppressions)
        baseline = sequential(account, plan_calls(sizes)[: sum(lists.values())])
        baseline += sequential(account, create_calls(sizes))
        apply_floor = floor_seconds(lists) + floor_seconds(creates)
        report["apply_from_nothing"] = compared(applied, creates, apply_floor, baseline)
        again = sesctl(account, "plan", str(path), "--detailed-exitcode")
        report["apply_from_nothing"]["plan_after_apply_exit"] = again.exit_code

        small = sizes.suppressions // 10
        seed(account, sizes, owned=True, suppressions=small)
        fewer = sesctl(account, "plan", str(path), "--detailed-exitcode")
        report["plan_memory_mb"] = {
            f"{small} suppressions": round(fewer.max_rss_mb, 1),
            f"{sizes.suppressions} suppressions": round(planned.max_rss_mb, 1),
            "ratio": round(planned.max_rss_mb / fewer.max_rss_mb, 3),
        }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
