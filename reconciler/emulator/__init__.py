"""The embedded SES v2 emulator: moto's server on loopback, extended where moto falls short.

moto 5.2.1 serves part of SES v2 and the Resource Groups Tagging API; the modules here answer
the SES v2 operations sesctl calls that moto lacks or gets wrong, on moto's own objects, so
both APIs see one account. They follow SES, not moto: FIDELITY.md lists each behaviour with
its source (SES v2 API reference, developer guide, IAM service authorization reference, …)
and every known difference; each module's docstring names its own.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import threading
from pathlib import Path
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.ses.models import ses_backends
from moto.sesv2.models import sesv2_backends
from waitress import wasyncore
from waitress.server import create_server

from .hardness import Hardness
from .server import Extensions
from .state import Settings

__all__ = ["Emulator", "Hardness", "Settings"]
# Worker threads: enough for a client's concurrent calls to meet latency side by side.
THREADS = 32


class Emulator:
    """Serve the emulator on host:port (0 picks a free port); persist state to a file.

    The HTTP server is waitress, for persistent (keep-alive) connections as SES has:
    werkzeug's development server closes the connection after every response, so each call
    paid a TCP handshake and a new thread, which a client making thousands of calls (a
    plain send_email loop, say) would not pay against SES.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: Path | None = None,
        max_send_rate: float | None = None,
        hardness: Hardness | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.host, self.port, self.state_file = host, port, state_file
        self.max_send_rate = max_send_rate
        self.url = ""
        moto_app = DomainDispatcherApplication(create_backend_app)
        self.app = Extensions(moto_app, hardness, settings)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> Emulator:
        """Load saved state if any, then serve in a daemon thread."""
        logging.getLogger("waitress").setLevel(logging.ERROR)
        self._load_state()
        self._server = create_server(
            self.app, host=self.host, port=self.port, threads=THREADS, ident="sesctl-emulator"
        )
        self.url = f"http://{self.host}:{self._server.effective_port}"
        if self.max_send_rate is not None:
            from .sending import set_quota

            request = {"max_send_rate": self.max_send_rate}
            set_quota(self.app.call("SetQuota", request), request)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the foreground until interrupted; save state on the way out."""
        if self._thread is None:
            self.start()
        try:
            assert self._thread is not None
            while self._thread.is_alive():
                self._thread.join(timeout=1)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        if self._server is not None:
            self._server.task_dispatcher.shutdown()
            wasyncore.close_all(self._server._map)  # ends the serving loop: its map is empty
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None
        self.save_state()

    def save_state(self) -> None:
        """Pickle moto's SES backends (with our extras hung on them), atomically."""
        if self.state_file is None:
            return
        with self.app.lock:
            data = pickle.dumps((dict(ses_backends), dict(sesv2_backends)))
        directory = self.state_file.parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".emulator-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, self.state_file)

    def _load_state(self) -> None:
        if self.state_file is None or not self.state_file.exists():
            return
        ses, sesv2 = pickle.loads(self.state_file.read_bytes())
        ses_backends.clear()
        ses_backends.update(ses)
        sesv2_backends.clear()
        sesv2_backends.update(sesv2)
