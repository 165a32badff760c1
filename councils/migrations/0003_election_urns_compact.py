from django.db import migrations


def urns_compact(apps, schema_editor):
    """0002 rewrote every urn stored in casting order; drop the old rows' remains (as closing an election does)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM FULL councils_electionballot")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class Migration(migrations.Migration):
    # VACUUM cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("councils", "0002_election_secrecy_and_incidents"),
    ]

    operations = [
        migrations.RunPython(urns_compact, migrations.RunPython.noop, elidable=True),
    ]
