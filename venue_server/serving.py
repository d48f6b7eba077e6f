"""Uvicorn, as ``bilten venue serve`` runs it: stops promptly and exits 0 when told to stop.

Uvicorn stops in this order: stop accepting connections, wait (up to
``timeout_graceful_shutdown``) for open responses to finish, then run the app's lifespan
shutdown. The live feed's streams never finish by themselves, so without help every stop
(``systemctl stop``, Ctrl+C) would wait out the whole timeout and then log the streams'
cancellation. :class:`VenueServer` tells the app a stop has begun before that wait, and the
app ends its streams; gates reconnect to the server once it runs again.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Iterator

import uvicorn
from uvicorn.server import HANDLED_SIGNALS


class VenueServer(uvicorn.Server):
    """A uvicorn server that calls ``on_stop`` the moment its shutdown begins.

    On SIGTERM or SIGINT it shuts down gracefully and then returns from :meth:`run`, instead
    of raising the signal again as uvicorn does, so the process exits 0 after a clean stop.
    A second SIGINT still cuts the graceful wait short.
    """

    def __init__(self, config: uvicorn.Config, on_stop: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_stop = on_stop

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Before uvicorn waits for open responses, so ended streams are not waited for.
        self._on_stop()
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Handle the stop signals while serving, then put the previous handlers back; unlike
        uvicorn's own, do not raise the signals again afterwards: a stop that ran its course
        is a clean exit, not a death by signal."""
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach only the main thread: nothing to handle here
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in HANDLED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
