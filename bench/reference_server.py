"""The "bare websockets" reference: what the same work costs without Django, a database or a channel layer.

Accepts N WebSocket clients, takes votes over the socket (``{"type": "vote", "item": i, "client": c}`` →
``{"type": "ack"}``), keeps tallies in memory (one ballot per client and item, as the application's
constraint) and broadcasts a ``state`` with a version on a 100 ms tick when something changed.
``GET /stats`` answers ``{"version", "ballots", "connected"}``. Run: ``python -m bench.reference_server PORT ITEMS``.
"""

import asyncio
import http
import json
import sys

import websockets
from websockets.asyncio.server import broadcast, serve

TICK = 0.1


class Room:
    def __init__(self, items: int):
        self.items = list(range(1, items + 1))
        self.tallies = dict.fromkeys(self.items, 0)
        self.ballots: set[tuple[int, int]] = set()
        self.version = 1
        self.dirty = False
        self.sockets: set = set()

    def state(self) -> str:
        items = [{"id": i, "votes": self.tallies[i]} for i in self.items]
        return json.dumps({"type": "state", "version": self.version, "participants": len(self.sockets), "items": items})

    async def handler(self, ws):
        try:
            async for raw in ws:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "hello":
                    self.sockets.add(ws)
                    self.version += 1
                    self.dirty = True
                    await ws.send(self.state())
                elif kind == "vote":
                    key = (int(message["client"]), int(message["item"]))
                    if key not in self.ballots and key[1] in self.tallies:
                        self.ballots.add(key)
                        self.tallies[key[1]] += 1
                        self.version += 1
                        self.dirty = True
                    await ws.send(json.dumps({"type": "ack", "version": self.version}))
        finally:
            self.sockets.discard(ws)

    async def ticker(self):
        while True:
            await asyncio.sleep(TICK)
            if self.dirty:
                self.dirty = False
                broadcast(self.sockets, self.state())

    def process_request(self, connection, request):
        if request.path == "/stats":
            body = {"version": self.version, "ballots": len(self.ballots), "connected": len(self.sockets)}
            return connection.respond(http.HTTPStatus.OK, json.dumps(body) + "\n")
        return None


async def main(port: int, items: int) -> None:
    room = Room(items)
    asyncio.ensure_future(room.ticker())
    async with serve(room.handler, "127.0.0.1", port, process_request=room.process_request, max_queue=16) as server:
        print(f"reference listening on {port}", file=sys.stderr, flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    assert websockets.version.version
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
