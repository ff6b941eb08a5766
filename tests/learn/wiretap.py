"""A TCP relay on 127.0.0.1 that forwards every connection to an upstream port and keeps every byte it carried.

The federation test puts it between the Flower clients and the aggregator, so it can scan exactly what crossed the
wire (gRPC over plain HTTP/2: strings in the messages are visible as bytes, which the test checks with a control).
"""

from __future__ import annotations

import contextlib
import socket
import threading


class WireTap:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.sent = bytearray()  # client -> server
        self.received = bytearray()  # server -> client
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._spawn(self._accept)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:  # the server is not listening yet: the client retries
                client.close()
                continue
            self._sockets += [client, upstream]
            self._spawn(self._pump, client, upstream, self.sent)
            self._spawn(self._pump, upstream, client, self.received)

    def _pump(self, source: socket.socket, sink: socket.socket, log: bytearray) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                with self._lock:
                    log.extend(chunk)
                sink.sendall(chunk)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
        for thread in self._threads:
            thread.join(timeout=5)
