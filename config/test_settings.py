"""Settings for the test suite: the production settings with faster hashing and no throttling."""

import os

os.environ.setdefault("MAJLIS_TESTING", "1")
# A random key per test process, also given to the servers the tests start: the test suite never creates or reads
# the development key file of the checkout (config/settings.py, development_secret_key).
if not os.environ.get("SECRET_KEY"):
    import secrets

    os.environ["SECRET_KEY"] = "test-" + secrets.token_urlsafe(48)

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ACCOUNT_RATE_LIMITS = {}
ACCOUNT_EMAIL_VERIFICATION = "optional"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MAJLIS_REQUIRE_ADMIN_2FA = False
MAJLIS_REALTIME_TICK = 0.02
# Most tests run inside one transaction that another thread cannot see; tests of the ballot box turn it on
# with transactional databases (tests/consultations/test_ballot_box.py).
MAJLIS_BALLOT_GROUP_COMMIT = False

if DATABASES["default"]["ENGINE"] == "config.sqlite":  # noqa: F405
    # A file, not shared-cache memory: shared-cache SQLite has table locks that ignore the busy timeout, and
    # the real-time hub reads from other threads. One file per test process, so parallel runs never collide.
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"majlis-test-{os.getpid()}.sqlite3")
    }
else:
    # Tests open and drop their own database: plain connections, closed after each use by the hub's threads
    # and database_sync_to_async, rather than a pool that outlives the test database.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
    DATABASES["default"]["OPTIONS"].pop("pool", None)  # noqa: F405
