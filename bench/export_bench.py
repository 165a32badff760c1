"""``python -m bench.export_bench``: the consultation summary and the raw ballot table of a large consultation.

Generates a consultation of --participants participants (spread over --sessions sessions, with gender, age band
and district answers) and --ballots ballots (each participant votes on ballots/participants distinct items of
30 approved challenges and proposals), on a fresh SQLite file or PostgreSQL database, then times
``cities.exports.run_export`` (the code behind the web page, the API and ``manage.py export``) for
consultation_summary in CSV and JSON and consultation_ballots in CSV, --repeat times each, and prints one JSON
line with the medians. Generation uses COPY on PostgreSQL and executemany on SQLite (it is not what is measured).
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
ITEMS = 30


def _database(backend: str) -> tuple[str, callable]:
    if backend == "postgres":
        import psycopg

        name = f"bench_export_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')

        def drop():
            with psycopg.connect(PG_ADMIN, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return f"postgres://postgres@127.0.0.1:5432/{name}", drop
    tmp = tempfile.mkdtemp(prefix="majlis-export-bench-")
    return f"sqlite:///{tmp}/db.sqlite3", lambda: shutil.rmtree(tmp, ignore_errors=True)


def generate(participants: int, ballots: int, sessions: int) -> int:
    """The consultation's id. Participants and ballots go in with one statement per table, not the ORM."""
    from django.db import connection, transaction
    from django.utils import timezone

    from cities.models import City, District
    from consultations import services
    from consultations.models import Ballot, Item, ItemStatus, Participant

    city = City.objects.create(name_en="Bench city", country="MA", slug=f"bench-{uuid.uuid4().hex[:6]}")
    districts = [District.objects.create(city=city, name=f"District {i}") for i in range(6)]
    consultation = services.consultation_create(
        city=city,
        title="Large consultation",
        created_by=None,
        themes=["Jobs", "Transport", "Culture"],
        participants_may_be_minors=False,
    )
    themes = list(consultation.themes.all())
    made = [
        services.session_create(consultation=consultation, title=f"Session {i + 1}", created_by=None)
        for i in range(sessions)
    ]
    now = timezone.now()
    genders = ["female", "male", "female", "male", "other", "unsaid", ""]
    bands = ["15_17", "18_24", "18_24", "25_29", "30_35", "unsaid", ""]
    with transaction.atomic():
        Participant.objects.bulk_create(
            [
                Participant(
                    session=made[i % sessions],
                    consented_at=now,
                    gender=genders[i % len(genders)],
                    age_band=bands[(i // 3) % len(bands)],
                    district=districts[(i // 7) % 6],
                    language="ar",
                )
                for i in range(participants)
            ],
            batch_size=5000,
        )
    people = Participant.objects.filter(session__consultation=consultation).order_by("pk")
    person_ids = list(people.values_list("pk", "session_id"))
    items_by_session = {}
    for session in made:
        items_by_session[session.pk] = [
            Item.objects.create(
                session=session,
                kind="challenge" if i % 2 == 0 else "proposal",
                text=f"Idea {i + 1} of {session.title}",
                status=ItemStatus.APPROVED,
                theme=themes[i % len(themes)],
            ).pk
            for i in range(ITEMS)
        ]
    per_person = max(1, min(ITEMS // 3, ballots // max(participants, 1)))
    rows = []
    for n, (pid, sid) in enumerate(person_ids):
        items = items_by_session[sid]
        for k in range(per_person):
            if len(rows) >= ballots:
                break
            rows.append((sid, pid, items[(n + 3 * k) % ITEMS], 1, now, now))
    table = Ballot._meta.db_table
    columns = "session_id, participant_id, item_id, points, created_at, updated_at"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s)", rows)  # noqa: S608
    # Loaded around the ballot services: bring the items' tallies (what the live state shows) up to date.
    with transaction.atomic():
        services.tallies_recount(Item.objects.filter(session__consultation=consultation))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return consultation.pk


def timed(fn, repeat: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        size = len(fn())
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 2), size


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", default="sqlite", choices=["sqlite", "postgres"])
    p.add_argument("--participants", type=int, default=100_000)
    p.add_argument("--ballots", type=int, default=1_000_000)
    p.add_argument("--sessions", type=int, default=9)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    url, drop = _database(args.backend)
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings", LOG_LEVEL="WARNING")
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from cities.exports import run_export
        from consultations.models import Ballot, Consultation

        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        consultation_id = generate(args.participants, args.ballots, args.sessions)
        generated_s = time.perf_counter() - t0
        consultation = Consultation.objects.select_related("city").get(pk=consultation_id)

        def export(identifier, fmt):
            def run():
                return run_export(
                    identifier=identifier,
                    city=consultation.city,
                    fmt=fmt,
                    options={"consultation": consultation_id},
                    channel="cli",
                )[0]

            return run

        line = {
            "scenario": "export",
            "backend": args.backend,
            "participants": args.participants,
            "ballots": Ballot.objects.filter(session__consultation=consultation_id).count(),
            "generate_s": round(generated_s, 1),
            "repeat": args.repeat,
        }
        for key, identifier, fmt in [
            ("summary_csv", "consultation_summary", "csv"),
            ("summary_json", "consultation_summary", "json"),
            ("ballots_csv", "consultation_ballots", "csv"),
        ]:
            seconds, size = timed(export(identifier, fmt), args.repeat)
            line[f"{key}_s"] = seconds
            line[f"{key}_kb"] = round(size / 1024)
        print(json.dumps(line), flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
