"""The backup and restore drill (docs/operations.md): pg_dump, pg_restore into a fresh database, the contents of
every table match by checksum; and a person erased after the backup does not come back, because the erasure
journal (cities/erasures.py), kept outside the database, is replayed after the restore.

Runs in a private PostgreSQL cluster (see faultdrill.py), never on the machine's shared server. Marked postgres
(it runs in CI's PostgreSQL pass) and skipped where PostgreSQL's binaries are missing.
"""

import json
import shutil

import psycopg
import pytest

from .faultdrill import PrivatePostgres, manage, postgres_bin, server_env

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(postgres_bin() is None, reason="the drill needs PostgreSQL's initdb/pg_ctl/pg_dump"),
]

ERASE_ONE = """
from councils.models import Person
from councils.services import person_erase
person = Person.objects.filter(city__slug="fes", erased_at__isnull=True).exclude(full_name="").order_by("pk").first()
name, phone = person.full_name, person.phone
person_erase(person=person, actor=None, reason="request of 2026-05-01")
print(json.dumps({"id": person.pk, "name": name, "phone": phone}))
"""


ROWS_DIGEST = (
    "SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) FROM \"{table}\" t"
)


def checksums(database_url: str) -> dict[str, tuple[int, str]]:
    """Per table of the public schema: (rows, md5 of the sorted md5s of its rows)."""
    with psycopg.connect(database_url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ]
        result = {}
        for table in tables:
            rows, digest = conn.execute(ROWS_DIGEST.format(table=table)).fetchone()
            result[table] = (rows, digest)
    return result


def person_row(database_url: str, pk: int) -> tuple:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT full_name, phone, erased_at FROM councils_person WHERE id = %s", [pk]).fetchone()


def test_a_restored_backup_matches_and_erased_people_stay_erased(tmp_path):
    postgres = PrivatePostgres()
    journal = tmp_path / "erasures.jsonl"
    try:
        postgres.init()
        env = server_env(postgres.url, "", MAJLIS_ERASURE_JOURNAL=str(journal))
        env.pop("REDIS_URL")
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "seed_demo", "--json")
        at_backup = checksums(postgres.url)
        assert at_backup["councils_person"][0] > 0 and at_backup["consultations_ballot"][0] > 0

        backup = postgres.dir / "majlis.dump"  # pg_dump runs as the cluster's owner: its own directory
        postgres.dump(backup)
        erased = json.loads(manage(env, "shell", "-c", "import json\n" + ERASE_ONE).strip().splitlines()[-1])
        assert person_row(postgres.url, erased["id"])[0] == ""

        # The journal names the erasure and nothing personal.
        text = journal.read_text()
        assert json.loads(text.splitlines()[-1])["id"] == erased["id"]
        assert erased["name"] not in text and (not erased["phone"] or erased["phone"] not in text)

        # Disaster: restore the backup into a fresh database. Every table matches the backup's moment...
        postgres.restore(backup, "majlis_restored")
        restored_url = postgres.database_url("majlis_restored")
        assert checksums(restored_url) == at_backup
        # ... which still holds the person erased since.
        assert person_row(restored_url, erased["id"])[0] == erased["name"]

        # The documented step after every restore: replay the erasure journal.
        restored_env = {**env, "DATABASE_URL": restored_url}
        assert "would erase 1 person" in manage(restored_env, "erasures_replay", "--dry-run")
        assert person_row(restored_url, erased["id"])[0] == erased["name"]  # a dry run changes nothing
        assert "erased 1 person" in manage(restored_env, "erasures_replay")
        full_name, phone, erased_at = person_row(restored_url, erased["id"])
        assert full_name == "" and phone == "" and erased_at is not None
        assert "erased 0 person" in manage(restored_env, "erasures_replay")  # idempotent

        # Nothing of the person is left in any table of the councils (the demo's staff accounts may share a name).
        with psycopg.connect(restored_url) as conn:
            for table in [t for t in checksums(restored_url) if t.startswith("councils_")]:
                found = conn.execute(
                    f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE %s',  # noqa: S608
                    [f"%{erased['name']}%"],
                ).fetchone()[0]
                assert found == 0, f"{erased['name']} is still in {table}"
    finally:
        postgres.stop("immediate")
        postgres.remove()
        shutil.rmtree(tmp_path, ignore_errors=True)
