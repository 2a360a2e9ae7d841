"""The HTTP protocol the server speaks: uvicorn's httptools protocol with a send buffer large enough for a
whole page.

Pages are handled on the event loop (see :mod:`patnav.app.views.search`), so under load a loop turn can take a
while, and a response larger than the socket's send buffer leaves the process one buffer-full per turn. With
the kernel's starting buffer (16 kB, grown slowly) a 215 kB report took a second to leave under
``bench/load.py``; with room for the whole body it is handed to the kernel at once.
"""

from __future__ import annotations

import socket
from contextlib import suppress
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: Bytes of send buffer per connection (the kernel caps it at ``net.core.wmem_max``).
SEND_BUFFER = 1 << 20


class RoomyHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        super().connection_made(transport)
