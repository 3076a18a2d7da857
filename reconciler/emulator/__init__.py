"""The embedded SES v2 emulator: moto's server on loopback, extended where moto falls short.

moto 5.2.1 serves part of SES v2 and the Resource Groups Tagging API; the modules here answer
the SES v2 operations sesctl calls that moto lacks or gets wrong, on moto's own objects, so
both APIs see one account. They follow SES, not moto: FIDELITY.md lists each behaviour with
its source (SES v2 API reference, developer guide, IAM service authorization reference, …)
and every known difference; each module's docstring names its own.

Adding a kind to the emulator: write its handler module, ending in `HANDLERS` (SES v2
operation → handler) and `KIND = Kind(__name__, HANDLERS, Taggable(ARN_TYPE, names))` (no
`Taggable` if SES does not tag it), and add `<module>.KIND` to KINDS in kinds.py. The server
routes its operations and the tagging operations serve its ARNs from there; tests/emulator/
test_kinds.py checks both. State it keeps is saved only once persist.py names it (its
document is checked member by member, so a state file never carries what no code reads).
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from waitress import wasyncore
from waitress.server import create_server

from . import persist
from .hardness import Hardness
from .server import Extensions
from .state import Settings

__all__ = ["Emulator", "Hardness", "Settings"]
# Worker threads: enough for a client's concurrent calls to meet latency side by side.
THREADS = 32


class Emulator:
    """Serve the emulator on host:port (0 picks a free port); keep state in a JSON file.

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
        self._loaded = False  # a state file that failed to load is never overwritten

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

    def stop(self) -> None:
        """Stop serving, then save the state file."""
        server, self._server = self._server, None
        if server is not None:
            server.task_dispatcher.shutdown()
            self._close_sockets(server)
        self.save_state()

    def _close_sockets(self, server: Any) -> None:
        """End the serving loop by emptying its map, in its own thread (through waitress's
        trigger): closed from here, a socket could vanish under its select (EBADF)."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            wasyncore.close_all(server._map)
            return
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=5)

    def save_state(self) -> None:
        """Write the state file (persist.py: JSON, atomically), if its state was loaded."""
        if self.state_file is None or not self._loaded:
            return
        with self.app.lock:
            data = persist.dumps()  # under the lock: the document shares the live state
        persist.write(self.state_file, data)

    def _load_state(self) -> None:
        """Take the state file's state; one that is not a state document raises StateError."""
        if self.state_file is not None:
            legacy = persist.legacy_pickle(self.state_file)
            if legacy is not None:
                print(
                    f"Warning: {legacy} is ignored: an older sesctl's emulator state, never "
                    "opened (loading it could run code); it may be deleted",
                    file=sys.stderr,
                )
            with self.app.lock:
                persist.load(self.state_file)
        self._loaded = True
