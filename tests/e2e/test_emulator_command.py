"""`sesctl emulator` serves the emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path


def test_emulator_command_serves_and_stops_on_interrupt(tmp_path: Path) -> None:
    state = tmp_path / "state.pickle"
    command = [
        sys.executable,
        "-m",
        "reconciler",
        "emulator",
        "--port",
        "0",
        "--state-file",
        str(state),
        "--control-plane-rate",
        "20",
        "--template-read-rate",
        "1000",
        "--latency",
        "5",
        "--faults",
        "0.05",
        "--seed",
        "7",
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        line = process.stderr.readline() if process.stderr else ""
        assert line.startswith("sesctl emulator listening on http://127.0.0.1:"), line
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
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
        assert state.exists()
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
