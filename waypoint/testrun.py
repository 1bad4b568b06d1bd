"""`make test`: the whole suite on SQLite, then again on PostgreSQL.

PostgreSQL is used when TEST_DATABASE_URL is set or a server answers on 127.0.0.1:5432 (user postgres);
with CI=true it is required, and so are the browser tests (see conftest.py).
"""

import os
import socket
import subprocess
import sys

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def postgres_url() -> str | None:
    if os.environ.get("TEST_DATABASE_URL"):
        return os.environ["TEST_DATABASE_URL"]
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        return None
    return LOCAL_POSTGRES


def pytest(label: str, database_url: str | None, args: list[str]) -> int:
    env = dict(os.environ, WAYPOINT_TESTING="1")
    env.pop("DATABASE_URL", None)
    env.pop("DATABASE_REPLICA_URL", None)  # the replica test makes its own replica (tests/test_read_replica.py)
    if database_url:
        env["DATABASE_URL"] = database_url
    print(f"\n===== test suite on {label} =====", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *args], env=env)


def main() -> int:
    args = sys.argv[1:] or ["-q"]
    ci = os.environ.get("CI", "").lower() == "true"
    failed = []
    if pytest("SQLite", None, args) != 0:
        failed.append("SQLite")
    url = postgres_url()
    if url is None:
        if ci:
            print("CI=true but no PostgreSQL answers on 127.0.0.1:5432 and TEST_DATABASE_URL is unset.")
            return 1
        print("\nPostgreSQL not found: the PostgreSQL run was skipped (set TEST_DATABASE_URL to run it).")
    elif pytest("PostgreSQL", url, args) != 0:
        failed.append("PostgreSQL")
    if failed:
        print(f"\nFAILED on: {', '.join(failed)}")
        return 1
    print("\nAll test runs passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
