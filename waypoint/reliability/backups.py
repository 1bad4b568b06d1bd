"""`waypoint backup` and `waypoint restore`: PostgreSQL with pg_dump/pg_restore (custom format: compressed, every
table, sequence and index, restorable into an empty database), SQLite with its online backup API (a consistent
copy while the server runs). The procedure is in docs/operations.md."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection


def _pg_args(settings: dict) -> tuple[list[str], dict]:
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    args = [
        "--host",
        settings.get("HOST") or "127.0.0.1",
        "--port",
        str(settings.get("PORT") or 5432),
        "--username",
        settings.get("USER") or "postgres",
        "--dbname",
        settings["NAME"],
    ]
    return args, env


def backup(path: Path) -> None:
    settings = connection.settings_dict
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if connection.vendor == "postgresql":
        args, env = _pg_args(settings)
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(path), *args],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    else:  # pragma: no cover - the project runs on these two
        raise NotImplementedError(connection.vendor)
    path.chmod(0o600)  # a backup holds every record: readable by the service user only


def restore(path: Path) -> None:
    """Into the configured database, which should be empty (a new database): PostgreSQL objects of the same
    names are dropped first (--clean); the SQLite file is overwritten page by page."""
    if not path.exists():
        raise FileNotFoundError(path)
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        args, env = _pg_args(settings)
        connection.close()
        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error", *args, str(path)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    elif connection.vendor == "sqlite":
        connection.close()
        source = sqlite3.connect(path)
        target = sqlite3.connect(settings["NAME"])
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    else:  # pragma: no cover
        raise NotImplementedError(connection.vendor)
