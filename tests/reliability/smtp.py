"""A real SMTP server on loopback (aiosmtpd) that records what it receives."""

from __future__ import annotations

import email
import socket
import threading
import time
from collections import Counter

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Recorder:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.sink.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802
        with self.sink.lock:
            self.sink.quits += 1
        return "221 Bye"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content)
        with self.sink.lock:
            self.sink.messages.append(message)
        return "250 Message accepted for delivery"


class _CountingSMTP(SMTP):
    def connection_made(self, transport):
        with self.event_handler.sink.lock:
            self.event_handler.sink.connections += 1
        super().connection_made(transport)


class _CountingController(Controller):
    def factory(self):
        return _CountingSMTP(self.handler, **self.SMTP_kwargs)


class SmtpSink:
    """Start, stop and start again on the same port; `messages` keeps everything received.

    `connections` counts the connections clients opened since the last start and `quits`
    those they closed with QUIT (a client that drops its socket is not counted there).
    """

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[email.message.Message] = []
        self.refuse: set[str] = set()
        self.connections = 0
        self.quits = 0
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        self._controller = _CountingController(_Recorder(self), hostname="127.0.0.1",
                                               port=self.port)
        self._controller.start()
        with self.lock:  # start() opened a connection of its own to check the server is up
            self.connections = self.quits = 0
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for m in self.messages]

    def duplicates(self) -> dict[str, int]:
        return {mid: n for mid, n in Counter(self.message_ids()).items() if n > 1}

    def wait_for(self, count: int, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if len(set(self.message_ids())) >= count:
                return True
            time.sleep(0.2)
        return len(set(self.message_ids())) >= count
