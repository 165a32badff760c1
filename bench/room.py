"""``python -m bench.room``: a scripted room of phones for a facilitator to run a real session against.

Each phone joins the session (the documented JSON join), holds its WebSocket like the participant page, and follows
the phases the facilitator moves through in a browser: in a submission phase it writes one or two texts (Arabic,
Darija in Arabic letters and in Latin letters, French, English, a few that the automatic screen should hold, and
some that say the same thing in another script), in a voting phase it votes by the session's rules, and after each
action it reads its own record (`GET …/me`) and checks it against the last state it received. It stops when the
session is closed (or after --minutes) and prints one JSON line: how many joined, wrote, voted, and any phone whose
record disagreed with the screens.

    python -m bench.room --url http://127.0.0.1:8000 --code WMC3HP --phones 300

Every request is one a phone makes; nothing here reads the database. docs/contributing.md, *A room of hundreds*.
"""

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
import uuid
from urllib.parse import urlsplit

from websockets.asyncio.client import connect

from .loadgen import raise_open_files
from .rawhttp import Pool

KIND_OF_PHASE = {"challenges": "challenge", "proposals": "proposal"}
VOTING_PHASES = {"challenge_voting": "challenge", "proposal_voting": "proposal"}

# What young people write in a consultation: subjects and places in several languages and scripts. Each tuple says
# one thing; its variants are the same idea in another script or language, so the console has duplicates to suggest.
IDEAS = [
    ("ما كاينش الطوبيس بعد الستة ديال العشية فالحي", "makaynch tobis mn b3d 6 d l3chiya f l7ay",
     "Il n'y a plus de bus après 18 h dans le quartier"),
    ("خاصنا دار الشباب مفتوحة فالويكاند", "khasna dar chabab m7lola f weekend",
     "La maison des jeunes doit ouvrir le week-end"),
    ("الملعب ديال الحي مخسر وخاصو يتصلح", "tiran dyal l7ay mkhser khaso ytsl7",
     "Le terrain de sport du quartier est abîmé"),
    ("ما كايناش الخدمة للشباب اللي قراو", "makaynach lkhedma l chabab li 9raw",
     "Pas de travail pour les jeunes diplômés"),
    ("الضو ديال الزنقة طافي والبنات كيخافو", "daw dyal zen9a tafi o lbnat kaykhafo",
     "L'éclairage de la rue est en panne, les filles ont peur le soir"),
    ("خاص مكتبة فيها الانترنت للطلبة", "khas maktaba fiha internet l talaba",
     "Une bibliothèque avec internet pour les étudiants"),
    ("الزبل كيتجمع حدا المدرسة", "zbel kaytjme3 7da lmadrasa",
     "Les déchets s'accumulent près de l'école"),
    ("بغينا تكوين فالمعلوميات والبرمجة", "bghina takwin f informatique o programmation",
     "Des formations en informatique et en programmation"),
    ("The youth centre should have a music room", "Une salle de musique à la maison des jeunes",
     "خاص قاعة ديال الموسيقى فدار الشباب"),
    ("Safe cycling lanes to the university", "Des pistes cyclables sûres jusqu'à l'université",
     "طريق آمن للبشكليطات حتى للجامعة"),
]  # fmt: skip
PLACES = ["", " (Zouagha)", " (Saiss)", " (Fès Médina)", " (Agdal)", " (Jnan El Ouard)", " (Marinides)"]
HELD = [  # what the automatic screen should hold for a facilitator (docs/screening.md)
    "had l7ay kolo 7mir",
    "appelez moi sur zero six un deux trois quatre cinq six sept huit",
    "youssef point benali arobase gmail point com",
    "الرئيس فلان سارق ومرتشي",
]


def texts_for(phone: int, rng: random.Random) -> list[str]:
    if phone % 25 == 24:
        return [HELD[(phone // 25) % len(HELD)]]
    idea = IDEAS[phone % len(IDEAS)]
    return [idea[rng.randrange(len(idea))] + rng.choice(PLACES)]


class Phone:
    def __init__(self, index: int, room: "Room"):
        self.index, self.room = index, room
        self.rng = random.Random(index)
        self.token = ""
        self.state: dict = {}
        self.changed = asyncio.Event()
        self.wrote: set[str] = set()
        self.voted: set[str] = set()
        self.http = Pool(room.host, room.port, size=1, timeout=60)

    def headers(self) -> dict:
        return {"Authorization": f"Participant {self.token}", "Accept-Language": self.room.language(self.index)}

    async def run(self) -> None:
        try:
            await self.follow()
        finally:
            await self.http.close()

    async def follow(self) -> None:
        base = f"/api/v1/sessions/{self.room.code}"
        answer = await self.http.request("POST", f"{base}/join", {"consent": True, "device": uuid.uuid4().hex})
        if answer.status != 201:
            self.room.count(f"join {answer.status}")
            return
        self.room.count("joined")
        self.token = answer.json()["token"]
        async with connect(self.room.ws_url, open_timeout=60, ping_interval=None) as ws:
            await ws.send(json.dumps({"type": "hello", "token": self.token}))
            reader = asyncio.ensure_future(self.read(ws))
            try:
                while not self.room.over():
                    await self.act(base)
                    self.changed.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.changed.wait(), 5)
            finally:
                reader.cancel()

    async def read(self, ws) -> None:
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "state" and message["version"] >= self.state.get("version", 0):
                self.state = message
                if message["phase"] == "closed":
                    self.room.closed = True
                self.changed.set()

    async def act(self, base: str) -> None:
        phase = self.state.get("phase", "")
        if phase in KIND_OF_PHASE and phase not in self.wrote:
            self.wrote.add(phase)
            await asyncio.sleep(self.rng.uniform(0, self.room.spread))  # people write at their own pace
            for text in texts_for(self.index, self.rng):
                body = {"kind": KIND_OF_PHASE[phase], "text": text}
                answer = await self.http.request("POST", f"{base}/items", body, self.headers())
                self.room.count(f"wrote {answer.status}")
            await self.check(base)
        elif phase in VOTING_PHASES and phase not in self.voted:
            self.voted.add(phase)
            await asyncio.sleep(self.rng.uniform(0, self.room.spread))
            kind = VOTING_PHASES[phase]
            rules = (self.state.get("voting") or {}).get(kind) or {}
            items = [it["id"] for it in self.state.get("items", []) if it["kind"] == kind]
            self.rng.shuffle(items)
            budget = rules.get("points") or 3
            for item in items[: max(1, min(len(items), budget))]:
                body = {"item": item, "points": 1}
                answer = await self.http.request("POST", f"{base}/votes", body, self.headers())
                self.room.count(f"voted {answer.status}")
            await self.check(base)

    async def check(self, base: str) -> None:
        """The phone's own record against the screens: every approved item of its own is on them."""
        answer = await self.http.request("GET", f"{base}/me", None, self.headers())
        if answer.status != 200:
            self.room.count(f"me {answer.status}")
            return
        await asyncio.sleep(1.0)  # the state of the action's version reaches the screens within a tick or two
        shown = {it["id"] for it in self.state.get("items", [])}
        for item in answer.json().get("items", []):
            if item["status"] == "approved" and item["id"] not in shown:
                self.room.mismatches.append({"phone": self.index, "item": item["id"], "status": item["status"]})


class Room:
    def __init__(self, args):
        parts = urlsplit(args.url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.code = args.code
        self.ws_url = f"ws://{self.host}:{self.port}/ws/sessions/{args.code}/"
        self.spread = args.spread
        self.deadline = time.monotonic() + args.minutes * 60
        self.languages = args.languages.split(",")
        self.counts: dict[str, int] = {}
        self.mismatches: list[dict] = []
        self.closed = False

    def language(self, index: int) -> str:
        return self.languages[index % len(self.languages)]

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def over(self) -> bool:
        return self.closed or time.monotonic() > self.deadline


async def main_async(args) -> dict:
    raise_open_files()
    room = Room(args)
    phones = [Phone(i, room) for i in range(args.phones)]
    started = time.monotonic()
    results = await asyncio.gather(*(p.run() for p in phones), return_exceptions=True)
    errors = [repr(r) for r in results if isinstance(r, Exception)]
    return {
        "phones": args.phones,
        "seconds": round(time.monotonic() - started, 1),
        "counts": dict(sorted(room.counts.items())),
        "mismatches": room.mismatches[:20],
        "errors": errors[:5],
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--code", required=True, help="the session's join code (the console shows it)")
    p.add_argument("--phones", type=int, default=300)
    p.add_argument("--spread", type=float, default=20.0, help="seconds over which the phones act after a phase moves")
    p.add_argument("--minutes", type=float, default=30.0, help="stop after this long even if the session is open")
    p.add_argument("--languages", default="ar,fr,ar,en", help="Accept-Language of the phones, in turn")
    args = p.parse_args(argv)
    result = asyncio.run(main_async(args))
    print(json.dumps(result, ensure_ascii=False))
    return 1 if result["mismatches"] or result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
