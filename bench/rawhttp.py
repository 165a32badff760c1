"""A small HTTP/1.1 keep-alive client on asyncio streams, for the load generator.

The load generator must cost far less per request than the server it measures: httpx's async client tops out
near 70 requests a second per process here (measured), which would make the benchmark measure the client.
This one writes a request and parses the answer (status, headers, Content-Length or chunked body) on a pool
of persistent connections, nothing more. JSON in, JSON out; no TLS, no redirects, no cookies.
"""

import asyncio
import json


class HttpError(Exception):
    pass


class Response:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body or b"null")


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.used = False

    def close(self) -> None:
        self.writer.close()


class Pool:
    """At most `size` connections to one host:port; requests beyond that wait for a free connection."""

    def __init__(self, host: str, port: int, size: int = 64, timeout: float = 60.0):
        self.host, self.port, self.timeout = host, port, timeout
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(size)

    async def request(self, method: str, path: str, body=None, headers: dict[str, str] | None = None) -> Response:
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(payload)}"]
        if body is not None:
            lines.append("Content-Type: application/json")
        lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload
        async with self._slots:
            connection = self._idle.pop() if self._idle else await self._open()
            try:
                response, keep = await asyncio.wait_for(self._exchange(connection, raw), self.timeout)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                connection.close()
                if not connection.used:
                    raise HttpError(f"{method} {path}: {exc!r}") from exc
                # A kept-alive connection the server had closed in between: nothing was read, send once more.
                connection = await self._open()
                response, keep = await asyncio.wait_for(self._exchange(connection, raw), self.timeout)
            except BaseException:
                connection.close()
                raise
            if keep:
                connection.used = True
                self._idle.append(connection)
            else:
                connection.close()
            return response

    async def _open(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return _Connection(reader, writer)

    @staticmethod
    async def _exchange(connection: _Connection, raw: bytes) -> tuple[Response, bool]:
        connection.writer.write(raw)
        await connection.writer.drain()
        reader = connection.reader
        status_line = await reader.readuntil(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HttpError(f"bad status line {status_line!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        while True:
            line = await reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(chunks)
        else:
            body = await reader.readexactly(int(headers.get("content-length", "0")))
        keep = headers.get("connection", "").lower() != "close" and parts[0] != b"HTTP/1.0"
        return Response(status, headers, body), keep

    async def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()
