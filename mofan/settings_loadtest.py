"""Settings for the deadline-rush load test only (`make loadtest`, scripts/loadtest.py).

The load test's throwaway database holds 221 throwaway accounts that all log in once before the
measured minute; with PBKDF2 those logins alone took about a minute of both cores. Here the
password hasher is a cheap one, so the accounts are created and checked in microseconds. The
logins are not measured, and nothing else differs from `mofan.settings`. Never use this module
for a real installation: it refuses to load with MOFAN_ENV=production.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from mofan.settings import *  # noqa: F403
from mofan.settings import PRODUCTION

if PRODUCTION:
    raise ImproperlyConfigured("mofan.settings_loadtest is for the load test, not production")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
