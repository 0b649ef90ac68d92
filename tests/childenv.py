"""The environment of a child Django process started by a test (manage.py, gunicorn, a script).

It is this process's environment without any setting the child must not inherit (MOFAN_*,
the database URL, secrets, hosts, the settings module), plus `mofan.settings` and what the
caller gives: each test states the configuration it runs the child under.
"""

from __future__ import annotations

import os

INHERITED_NOT = {
    "DATABASE_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DJANGO_SETTINGS_MODULE",
}


def child_env(**settings: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MOFAN_") and key not in INHERITED_NOT
    }
    env["DJANGO_SETTINGS_MODULE"] = "mofan.settings"
    env.update(settings)
    return env
