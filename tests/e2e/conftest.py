"""End-to-end fixtures: the embedded emulator over HTTP and the real CLI against it."""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.emulator import Emulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def server() -> Iterator[Emulator]:
    emulator = Emulator(port=0).start()
    yield emulator
    emulator.stop()


@dataclass
class Env:
    """One test's world: the emulator, a work directory, and ways to poke at both."""

    url: str
    tmp: Path
    monkeypatch: pytest.MonkeyPatch

    def sesctl(self, *args: str, input: str | None = None) -> Result:
        """Run the real CLI in-process against the emulator (global options after the command)."""
        full = [*args, "--endpoint-url", self.url, "--api-rate", "unlimited", "--max-attempts", "2"]
        return CliRunner().invoke(cli, full, input=input, catch_exceptions=False)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def fault(self, operation: str, code: str, status: int, count: int | None = None) -> None:
        self.control(
            "POST",
            "/_sesctl/faults",
            {
                "operation": operation,
                "code": code,
                "status": status,
                "message": "injected",
                "count": count,
            },
        )

    def verified(self, *identities: str, region: str = "us-east-1") -> None:
        """Create identities and mark them verified, as publishing their DNS records would."""
        calls = [
            {"operation": "CreateEmailIdentity", "params": {"EmailIdentity": name}}
            for name in identities
        ]
        self.control("POST", "/_sesctl/seed", {"calls": calls, "region": region})
        self.control("POST", "/_sesctl/verify", {"identities": list(identities), "region": region})

    def calls(self) -> dict[str, int]:
        return self.control("GET", "/_sesctl/calls")["calls"]

    def reset_calls(self) -> None:
        self.control("DELETE", "/_sesctl/calls")

    def ses(self) -> Any:
        return boto3.client("sesv2", endpoint_url=self.url, region_name="us-east-1")

    def ssm(self) -> Any:
        return boto3.client("ssm", endpoint_url=self.url, region_name="us-east-1")

    def write(self, text: str, name: str = "sesctl.yaml") -> str:
        path = self.tmp / name
        path.write_text(text)
        return str(path)

    def example(self, name: str) -> str:
        """Copy examples/ into the work directory and return the path of one file in it."""
        target = self.tmp / "examples"
        if not target.exists():
            shutil.copytree(EXAMPLES, target)
        return str(target / name)


@pytest.fixture
def env(server: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.chdir(tmp_path)
    world = Env(server.url, tmp_path, monkeypatch)
    world.control("POST", "/_sesctl/reset")
    return world
