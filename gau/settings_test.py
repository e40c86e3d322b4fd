"""Settings for the test suite: the real services at their default local addresses.

Each default can be overridden by the environment (e.g. a second checkout testing in parallel uses its
own database name, Redis db and RabbitMQ vhost). The S3-compatible server and the SMTP server are
started per test session by the fixtures in ``conftest.py``, which point the settings at them.
"""

import os

TEST_DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/gau",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    "SECRET_KEY": "gau-test-secret-key-not-for-production-000000000000",
    "GAU_INTERNAL_KEYS": "gau-test-internal-key-newest-000000000000000,gau-test-internal-key-older-0000000000000000",
    "PUBLIC_BASE_URL": "http://testserver",
    "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "GAU_RPC_VALIDATE_LOCAL": "true",
    # The suite checks revocation in the direct mode (one Redis GET, strictly immediate) by default;
    # apps/authz/tests/test_revocation_subscription.py covers the subscribed mode production runs.
    "GAU_REVOCATION_SUBSCRIBE": "false",
}
for _name, _value in TEST_DEFAULTS.items():
    os.environ.setdefault(_name, _value)

from gau.settings import *  # noqa: E402, F403

# A remote call inside atomic() is an error in the suite (GAU_RPC_VALIDATE_LOCAL, on above, checks
# in-process calls against their interface).
GAU_RPC_REMOTE_IN_ATOMIC = "raise"

# Argon2 at production cost makes every user fixture slow; the login benchmark measures the real cost.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
