"""The embedded SQLite backend keeps closed connections for the next thread (config/sqlite/base.py)."""

import threading

import pytest
from django.db import connection, transaction

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(fn):
    box = {}

    def run():
        try:
            box["value"] = fn()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return box["value"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the reuse is the SQLite backend's")
def test_a_closed_connection_is_reused_by_the_next_thread():
    def use():
        connection.ensure_connection()
        return id(connection.connection)

    assert _in_thread(use) == _in_thread(use)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the reuse is the SQLite backend's")
def test_a_connection_closed_inside_a_transaction_is_not_kept():
    def close_mid_transaction():
        with transaction.atomic():
            connection.ensure_connection()
            raw = connection.connection
            connection.close()  # closed while atomic: must really close, not go back for reuse
        return raw

    raw = _in_thread(close_mid_transaction)

    def fresh():
        connection.ensure_connection()
        return connection.connection

    assert _in_thread(fresh) is not raw
