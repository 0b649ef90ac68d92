"""Exit 0 when the PostgreSQL server named by a DATABASE_URL answers, 1 otherwise."""

import sys
from urllib.parse import urlsplit

import psycopg


def main() -> int:
    url = urlsplit(sys.argv[1])
    try:
        with psycopg.connect(
            host=url.hostname or "127.0.0.1",
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password or None,
            dbname="postgres",
            connect_timeout=5,
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
