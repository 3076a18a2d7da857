"""`sesctl emulator` serves the emulator in the foreground until Ctrl-C or SIGTERM, and
`--local` keeps its state in `.sesctl/emulator-state.json`: state files are JSON, never code."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart.yaml"


class Payload:
    """Unpickled, this creates `marker`: what a hostile state file would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return open, (str(self.marker), "w")


def hostile_pickle(marker: Path) -> bytes:
    """A pickle that runs code when loaded (checked on a decoy first, so the test is real)."""
    decoy = marker.with_name("decoy")
    pickle.loads(pickle.dumps(Payload(decoy))).close()
    assert decoy.exists()
    decoy.unlink()
    return pickle.dumps(Payload(marker))


def environment() -> dict[str, str]:
    """This process's environment without AWS settings: nothing may reach a real account."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


@contextmanager
def serving(*args: str, cwd: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`sesctl emulator --port 0 ARGS…` and its URL, once it says it is listening."""
    command = [sys.executable, "-m", "reconciler", "emulator", "--port", "0", *args]
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, cwd=cwd, env=environment()
    )
    try:
        line = process.stderr.readline() if process.stderr else ""
        assert line.startswith("sesctl emulator listening on http://127.0.0.1:"), line
        yield process, line.split(" on ", 1)[1].split(" ", 1)[0]
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()


def ses(url: str) -> Any:
    return boto3.client(
        "sesv2",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_emulator_command_serves_and_stops_on_interrupt(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    options = ["--control-plane-rate", "20", "--template-read-rate", "1000", "--latency", "5"]
    options += ["--faults", "0.05", "--seed", "7", "--state-file", str(state)]
    with serving(*options, cwd=tmp_path) as (process, url):
        with urllib.request.urlopen(f"{url}/_sesctl/calls", timeout=10) as response:
            assert response.status == 200
        with urllib.request.urlopen(f"{url}/_sesctl/hardness", timeout=10) as response:
            assert json.load(response) == {
                "control_plane_rate": 20,
                "template_read_rate": 1000,
                "latency_ms": 5,
                "faults": 0.05,
                "seed": 7,
            }
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    assert json.loads(state.read_text())["format"] == "sesctl-emulator-state"


def test_sigterm_saves_the_state_as_ctrl_c_does(tmp_path: Path) -> None:
    """Process managers and `docker stop` send SIGTERM: the state is saved, the exit is 0."""
    state = tmp_path / "state.json"
    with serving("--state-file", str(state), cwd=tmp_path) as (process, url):
        ses(url).create_email_template(TemplateName="kept", TemplateContent={"Subject": "s"})
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert process.stderr is not None
        assert process.stderr.read() == "sesctl emulator stopped\n"
    region = json.loads(state.read_text())["accounts"]["123456789012"]["us-east-1"]
    assert region["extras"]["templates"]["kept"]["content"] == {"Subject": "s"}
    with serving("--state-file", str(state), cwd=tmp_path) as (process, url):
        answer = ses(url).get_email_template(TemplateName="kept")
        assert answer["TemplateContent"] == {"Subject": "s"}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_a_pickle_state_file_is_one_plain_error_and_never_run(tmp_path: Path) -> None:
    state, marker = tmp_path / "state.pickle", tmp_path / "pwned"
    state.write_bytes(hostile_pickle(marker))
    before = state.read_bytes()
    command = [sys.executable, "-m", "reconciler", "emulator", "--port", "0"]
    result = subprocess.run(
        [*command, "--state-file", str(state)],
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert not marker.exists()
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: emulator state file {state}: a Python pickle, which sesctl no longer reads "
        "(loading one can run any code): delete it to start with an empty emulator\n"
    )
    assert state.read_bytes() == before  # not overwritten on the way out


def local(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "reconciler", "--local", *args]
    return subprocess.run(
        command, cwd=cwd, env=environment(), capture_output=True, text=True, timeout=120
    )


def test_local_never_opens_an_old_pickle_and_still_works(tmp_path: Path) -> None:
    """A repository that ships `.sesctl/emulator-state.pickle` runs nothing on `--local plan`."""
    marker = tmp_path / "pwned"
    (tmp_path / ".sesctl").mkdir()
    legacy = tmp_path / ".sesctl" / "emulator-state.pickle"
    legacy.write_bytes(hostile_pickle(marker))
    planned = local("plan", str(QUICKSTART), "--detailed-exitcode", cwd=tmp_path)
    assert not marker.exists()
    assert planned.returncode == 2, planned.stderr
    assert "+ create  identity example.com" in planned.stdout
    legacy_name = Path(".sesctl") / "emulator-state.pickle"
    notice = (
        f"Warning: {legacy_name} is ignored: an older sesctl's emulator state, never opened "
        "(loading it could run code); it may be deleted\n"
    )
    assert planned.stderr.count(notice) == 1, planned.stderr
    document = json.loads((tmp_path / ".sesctl" / "emulator-state.json").read_text())
    assert document["format"] == "sesctl-emulator-state"
    assert legacy.exists()  # left for its owner to delete


def test_local_refuses_a_state_file_that_is_not_a_state_document(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    (tmp_path / ".sesctl").mkdir()
    state = tmp_path / ".sesctl" / "emulator-state.json"
    state.write_bytes(hostile_pickle(marker))
    planned = local("plan", str(QUICKSTART), cwd=tmp_path)
    assert not marker.exists()
    assert planned.returncode == 1
    assert planned.stderr.startswith(
        f"Error: emulator state file {Path('.sesctl') / 'emulator-state.json'}: a Python pickle"
    )
    assert "Traceback" not in planned.stderr and planned.stderr.count("\n") == 1
