"""A loopback TCP listener that counts the connections it gets, for tests that prove none is made."""

from __future__ import annotations

import socket
import threading


class CountingListener:
    """Listens on a free port of 127.0.0.1; accepts, counts and closes every connection."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return  # closed
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.server.close()
