"""A TCP relay between a venue server and the cloud that can hold back one kind of request:
the test decides the moment it reaches the cloud, so it can stop the venue while its request
is on the way."""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.support import free_port


class HoldingRelay:
    """Relays loopback connections to ``target_port``. While ``holding`` is set, a request
    whose bytes start with ``marker`` waits in the relay (``held`` is set) until ``release``."""

    def __init__(self, target_port: int, marker: bytes) -> None:
        self.port = free_port()
        self.target_port = target_port
        self.marker = marker
        self.holding = threading.Event()
        self.held = threading.Event()
        self.release = threading.Event()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.release.set()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, to_cloud: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if to_cloud and self.holding.is_set() and data.startswith(self.marker):
                    self.held.set()
                    self.release.wait()
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)
