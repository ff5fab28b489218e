"""uvicorn's HTTP protocol with a deadline on request headers.

uvicorn times out idle keep-alive connections but not a request whose headers arrive a
byte at a time: such a client holds its connection (and a slot of the process) for as long
as it likes. Here the headers of each request must be complete within
``REDFLAGS_API_HEADER_TIMEOUT`` seconds of its first byte (or of the connection, for the
first request); otherwise the server answers 408 and closes the connection. Slow bodies are
the ASGI guard's business (``app.Guard``).
"""

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from redflags import settings

_BODY = b'{"status":408,"detail":"the request headers took too long to arrive"}'
TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
                    b"content-length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY)


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that closes connections whose request headers are too slow."""

    _header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(settings.API_HEADER_TIMEOUT, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.write(TIMEOUT_RESPONSE)
            self.transport.close()

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
