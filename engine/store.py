"""Where events live: the eventsourcing library's SQLite or PostgreSQL recorders,
chosen by one URL (``OKNO_DATABASE_URL``); an SQLite file in the working directory when
nothing is configured."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from engine.errors import OknoError

DEFAULT_URL = "sqlite:///okno.sqlite"


class BadDatabaseUrl(OknoError):
    code = "configuration"


@dataclass(frozen=True)
class StoreConfig:
    url: str
    env: dict[str, str]

    @property
    def is_postgres(self) -> bool:
        return self.env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"

    @property
    def creates_tables(self) -> bool:
        return self.env["CREATE_TABLE"] == "y"

    def migrating(self) -> StoreConfig:
        """The same store, with table creation on (what `okno migrate` uses)."""
        return StoreConfig(self.url, {**self.env, "CREATE_TABLE": "y"})


def config_from_environment(environ: dict[str, str] | None = None) -> StoreConfig:
    """``OKNO_DATABASE_URL``; ``OKNO_CREATE_TABLES=no`` for production processes, which then
    expect `okno migrate` to have created the tables (processes starting together would
    otherwise race to create them)."""
    environ = dict(os.environ) if environ is None else environ
    create = environ.get("OKNO_CREATE_TABLES", "yes").strip().lower() not in ("no", "n", "0", "false", "off")
    return parse_url(environ.get("OKNO_DATABASE_URL") or DEFAULT_URL, create_tables=create)


def parse_url(url: str, *, create_tables: bool = True) -> StoreConfig:
    parsed = urlparse(url)
    common = {
        # Events carry workflow state in snapshots: compress what goes to disk.
        "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
        "CREATE_TABLE": "y" if create_tables else "n",
    }
    if parsed.scheme == "sqlite":
        # sqlite:///relative.db, sqlite:////absolute/path.db, sqlite:///:memory:
        path = unquote(parsed.path[1:] if parsed.path.startswith("/") else parsed.path)
        if not path:
            raise BadDatabaseUrl(f"no file in {url!r}: use sqlite:///okno.sqlite")
        path = "file:okno?mode=memory&cache=shared" if path == ":memory:" else str(Path(path).resolve())
        return StoreConfig(
            url,
            {
                **common,
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": path,
                "SQLITE_LOCK_TIMEOUT": "30",
            },
        )
    if parsed.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        query = parse_qs(parsed.query)
        env = {
            **common,
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parsed.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parsed.port or 5432),
            "POSTGRES_USER": unquote(parsed.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parsed.password or ""),
            "POSTGRES_POOL_SIZE": query.get("pool_size", ["5"])[0],
            # Seconds to wait for a connection (to make one, or for one free in the pool):
            # how long a request or a background round waits while the database is away.
            "POSTGRES_CONNECT_TIMEOUT": _seconds(query.get("connect_timeout", ["10"])[0], url),
            "POSTGRES_LOCK_TIMEOUT": "10",
        }
        if "schema" in query:
            schema = query["schema"][0]
            if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
                raise BadDatabaseUrl(f"schema {schema!r} must be a lower-case SQL identifier")
            env["POSTGRES_SCHEMA"] = schema
        return StoreConfig(url, env)
    raise BadDatabaseUrl(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://USER@HOST:PORT/DB")


def _seconds(text: str, url: str) -> str:
    """Whole seconds (what the eventsourcing library accepts), 1 to 600."""
    if not text.isdigit() or not 1 <= int(text) <= 600:
        raise BadDatabaseUrl(f"connect_timeout in {url!r} must be whole seconds from 1 to 600")
    return str(int(text))
