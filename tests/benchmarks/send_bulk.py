"""Benchmark `sesctl send-bulk` side by side with a plain boto3 loop, in one run.

    python -m tests.benchmarks.send_bulk            # the issue's sizes (1,000,000 rows: minutes)
    python -m tests.benchmarks.send_bulk --quick    # small sizes, to check it still runs

(a) recipients/s with no rate limit: send-bulk vs boto3 calling send_email once per recipient;
(b) with the emulator's maximum send rate at 500/s: achieved rate / 500, 429s seen, none lost;
(c) peak memory (max RSS) of the send-bulk process for two file sizes: flat means the larger
    file costs about what the smaller one does.
Everything talks HTTP to `sesctl emulator` in its own process, so neither client shares a
process (or a GIL) with the server.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

SESCTL = [sys.executable, "-m", "reconciler"]
ENV = {
    **os.environ,
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
SENDER = "news@example.com"
TEMPLATE = "bench"


@dataclass
class Emulator:
    url: str

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=600) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def ses(self) -> Any:
        return boto3.client(
            "sesv2",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )

    def fresh(self, max_send_rate: float) -> None:
        """An empty account holding the template, with this rate and no daily cap."""
        self.control("POST", "/_sesctl/reset")
        self.control(
            "POST", "/_sesctl/send-quota", {"max_send_rate": max_send_rate, "max_24_hour_send": -1}
        )
        self.ses().create_email_template(
            TemplateName=TEMPLATE,
            TemplateContent={"Subject": "Hi {{name}}", "Text": "Hello {{name}}, row {{row}}."},
        )
        domain = SENDER.split("@", 1)[1]
        self.ses().create_email_identity(EmailIdentity=domain)
        self.control("POST", "/_sesctl/verify", {"identities": [domain]})

    def sent(self) -> int:
        return int(self.ses().get_account()["SendQuota"]["SentLast24Hours"])


@contextmanager
def emulator() -> Iterator[Emulator]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [*SESCTL, "emulator", "--port", str(port)], env=ENV, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        if "listening" not in line:
            raise RuntimeError(f"emulator did not start: {line}")
        yield Emulator(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=30)


def recipients_file(directory: Path, rows: int) -> Path:
    path = directory / f"recipients-{rows}.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("email,name,row\n")
        for number in range(rows):
            out.write(f"user{number}@example.org,User {number},{number}\n")
    return path


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    exit_code: int
    stderr: str


def send_bulk(emulator: Emulator, path: Path, *extra: str) -> Run:
    """Run the real CLI in a child process; its wall time and peak memory."""
    command = [
        *SESCTL,
        "send-bulk",
        "--from",
        SENDER,
        "--template",
        TEMPLATE,
        "--recipients",
        str(path),
        "--endpoint-url",
        emulator.url,
        *extra,
    ]
    with tempfile.TemporaryFile("w+") as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        text = errors.read()
    return Run(seconds, usage.ru_maxrss / 1024, process.returncode, text[-2000:])


def boto3_loop(emulator: Emulator, count: int) -> float:
    """Seconds for a plain loop: one send_email per recipient."""
    ses = emulator.ses()
    started = time.perf_counter()
    for number in range(count):
        ses.send_email(
            FromEmailAddress=SENDER,
            Destination={"ToAddresses": [f"loop{number}@example.org"]},
            Content={
                "Template": {
                    "TemplateName": TEMPLATE,
                    "TemplateData": json.dumps({"name": f"User {number}", "row": number}),
                }
            },
        )
    return time.perf_counter() - started


def checked(run: Run, what: str) -> Run:
    if run.exit_code != 0:
        raise SystemExit(f"{what}: send-bulk exited {run.exit_code}:\n{run.stderr}")
    return run


def throughput(
    emulator: Emulator, work: Path, rows: int, loop_rows: int, repeats: int
) -> dict[str, Any]:
    """Recipients/s of both, interleaved `repeats` times; the ratio of the medians."""
    path = recipients_file(work, rows)
    ours, theirs = [], []
    for _ in range(repeats):
        emulator.fresh(max_send_rate=1_000_000)
        theirs.append(loop_rows / boto3_loop(emulator, loop_rows))
        emulator.fresh(max_send_rate=1_000_000)
        run = checked(send_bulk(emulator, path), "throughput")
        assert emulator.sent() == rows, "throughput run lost recipients"
        ours.append(rows / run.seconds)
    return {
        "send_bulk_per_s": statistics.median(ours),
        "boto3_loop_per_s": statistics.median(theirs),
        "ratio": statistics.median(ours) / statistics.median(theirs),
        "samples": {
            "send_bulk": [round(r) for r in ours],
            "boto3_loop": [round(r) for r in theirs],
        },
    }


def paced(emulator: Emulator, work: Path, rows: int, rate: float) -> dict[str, float]:
    """The rate achieved while sending (first to last accepted call) and end to end."""
    emulator.fresh(max_send_rate=rate)
    emulator.control("DELETE", "/_sesctl/calls")
    run = checked(send_bulk(emulator, recipients_file(work, rows)), "paced")
    messages = emulator.control("GET", "/_sesctl/messages")["messages"]
    addresses = [m["to"][0] for m in messages]
    times = sorted(m["accepted_at"] for m in messages)
    first_call = sum(1 for t in times if t == times[0])
    calls = emulator.control("GET", "/_sesctl/calls")["calls"]
    sending = (len(times) - first_call) / (times[-1] - times[0])
    return {
        "achieved_per_s": sending,
        "achieved_over_rate": sending / rate,
        "end_to_end_over_rate": rows / run.seconds / rate,
        "busiest_second": busiest_second(times),
        "throttled_calls": calls.get("SendBulkEmail", 0) - -(-rows // 50),
        "duplicates": len(addresses) - len(set(addresses)),
        "lost": rows - len(set(addresses)),
    }


def busiest_second(times: list[float]) -> int:
    """The most recipients the emulator accepted in any one-second window."""
    most, start = 0, 0
    for end, now in enumerate(times):
        while now - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def memory(emulator: Emulator, work: Path, sizes: list[int]) -> dict[int, float]:
    peaks = {}
    for rows in sizes:
        emulator.fresh(max_send_rate=1_000_000)
        path = recipients_file(work, rows)
        run = checked(send_bulk(emulator, path, "--journal", str(work / f"j{rows}")), "memory")
        assert emulator.sent() == rows, "memory run lost recipients"
        peaks[rows] = run.max_rss_mb
        path.unlink()
    return peaks


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = parser.parse_args(argv)
    rows, loop_rows, paced_rows = (2_000, 200, 1_000) if args.quick else (100_000, 2_000, 10_000)
    sizes = [2_000, 20_000] if args.quick else [100_000, 1_000_000]
    repeats = 1 if args.quick else 3
    report: dict[str, Any] = {}
    with emulator() as server, tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        report["a_throughput"] = throughput(server, work, rows, loop_rows, repeats)
        report["b_paced_500"] = paced(server, work, paced_rows, 500.0)
        report["c_peak_rss_mb"] = memory(server, work, sizes)
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
