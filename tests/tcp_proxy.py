"""A TCP proxy the tests put between the registry and a server (PostgreSQL, an EventBridge endpoint) to
make it fail without touching the server itself:

    forward()     bytes flow both ways
    refuse()      the port refuses connections, and the open ones are reset (a database that is down)
    black_hole()  connections are accepted and open ones stay open, but nothing goes through either way:
                  a network partition, where the peer neither answers nor says no

Threads, not asyncio: the registry under test blocks in its own threads, and the proxy must go on."""

from __future__ import annotations

import select
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

FORWARD, REFUSE, BLACK_HOLE = "forward", "refuse", "black hole"


class TcpProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = FORWARD
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._closed = False
        self.port = self._listen(0)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def forward(self) -> None:
        if self.mode == REFUSE:
            self._listen(self.port)
        self.mode = FORWARD

    def refuse(self) -> None:
        self.mode = REFUSE
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        self._reset_all()

    def black_hole(self) -> None:
        if self.mode == REFUSE:
            self._listen(self.port)
        self.mode = BLACK_HOLE

    def close(self) -> None:
        self._closed = True
        self.refuse()

    # --- inside ---------------------------------------------------------------------------------------

    def _listen(self, port: int) -> int:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True, name="proxy-accept").start()
        return int(listener.getsockname()[1])

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed by refuse()
                return
            if self.mode != FORWARD:  # black hole: hold it open, say nothing
                self._track(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            self._track(client, upstream)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _track(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._sockets.update(sockets)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        try:
            while self.mode != REFUSE and not self._closed:
                if self.mode == BLACK_HOLE:  # read nothing: the kernel buffers, nobody answers
                    select.select([], [], [], 0.05)
                    continue
                readable, _, _ = select.select(list(peers), [], [], 0.05)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            for sock in peers:
                _reset(sock)

    def _reset_all(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _reset(sock)


def _reset(sock: socket.socket) -> None:
    """Close with RST rather than FIN, as a server that went away does."""
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@contextmanager
def tcp_proxy(target: tuple[str, int]) -> Iterator[TcpProxy]:
    proxy = TcpProxy(target)
    try:
        yield proxy
    finally:
        proxy.close()
