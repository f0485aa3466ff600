"""A database outage on demand: a TCP proxy in front of the test server that can be cut off.

`DatabaseProxy.url` is the test database reached through the proxy. `cut()` does to its clients
what a server crash does: every open connection is closed at once and new ones are refused (the
listening socket is closed); `restore()` listens again on the same port. The server behind it
keeps running, so one test's outage does not touch the others sharing that server.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

from psycopg.conninfo import conninfo_to_dict, make_conninfo


class DatabaseProxy:
    """Forwards 127.0.0.1:<port> to the server of `upstream_url` (TCP or a Unix socket)."""

    def __init__(self, upstream_url: str) -> None:
        params = conninfo_to_dict(upstream_url)
        self.upstream_host = str(params.get("host") or "localhost")
        self.upstream_port = int(params.get("port") or 5432)
        self.upstream_url = upstream_url
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return make_conninfo(self.upstream_url, host="127.0.0.1", port=str(self.port))

    async def start(self) -> None:
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(("127.0.0.1", self.port))
        self.port = listening.getsockname()[1]
        self._server = await asyncio.start_server(self._serve, sock=listening)

    async def cut(self) -> None:
        """The database goes away: refuse new connections, drop every open one."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._pipes):
            transport = writer.transport
            with contextlib.suppress(OSError):
                sock = transport.get_extra_info("socket")
                if sock is not None:  # a reset, as a crashed server's kernel would send
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            transport.abort()
        self._pipes.clear()

    async def restore(self) -> None:
        """The database is back, on the same address."""
        await self.start()

    async def close(self) -> None:
        await self.cut()

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.upstream_host.startswith("/"):
            path = f"{self.upstream_host}/.s.PGSQL.{self.upstream_port}"
            return await asyncio.open_unix_connection(path)
        return await asyncio.open_connection(self.upstream_host, self.upstream_port)

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await self._open_upstream()
        except OSError:
            client_writer.transport.abort()
            return
        self._pipes.update((client_writer, server_writer))
        try:
            await asyncio.gather(_pump(client_reader, server_writer), _pump(server_reader, client_writer))
        except asyncio.CancelledError:  # the loop is closing: the pipe just ends
            pass
        finally:
            for writer in (client_writer, server_writer):
                self._pipes.discard(writer)
                writer.transport.abort()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


@contextlib.asynccontextmanager
async def database_proxy(upstream_url: str) -> AsyncIterator[DatabaseProxy]:
    """A started proxy to `upstream_url`, closed at the end of the block."""
    proxy = DatabaseProxy(upstream_url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
