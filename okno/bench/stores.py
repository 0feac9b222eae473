"""Fresh stores for each measurement: an SQLite file in the work folder, or a schema of
its own in PostgreSQL (``okno_bench`` by default), dropped and created again."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psycopg

from engine.store import StoreConfig, parse_url

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test?schema=okno_bench"


@dataclass(frozen=True)
class Target:
    kind: str  # "sqlite" or "postgres"
    base: str  # the SQLite folder, or the PostgreSQL URL

    def fresh(self, name: str) -> StoreConfig:
        """An empty store named ``name`` (a file, or a schema ``<schema>_<name>``)."""
        if self.kind == "sqlite":
            path = Path(self.base) / f"{name}.sqlite"
            for leftover in path.parent.glob(path.name + "*"):
                leftover.unlink()
            return parse_url(f"sqlite:///{path}")
        server, schema = split_pg(self.base)
        schema = f"{schema}_{name}"
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            connection.execute(f"CREATE SCHEMA {schema}")
        return parse_url(f"{server}?schema={schema}")

    def drop(self, config: StoreConfig) -> None:
        if self.kind == "postgres":
            server, _ = split_pg(self.base)
            with psycopg.connect(server, autocommit=True) as connection:
                connection.execute(f"DROP SCHEMA IF EXISTS {config.env['POSTGRES_SCHEMA']} CASCADE")


def split_pg(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    schema = parse_qs(parsed.query).get("schema", ["okno_bench"])[0]
    return url.split("?")[0], schema


def postgres_reachable(url: str) -> str | None:
    """None when PostgreSQL answers at ``url``; otherwise why not."""
    try:
        with psycopg.connect(url.split("?")[0], connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return f"PostgreSQL at {url.split('?')[0]} is not reachable ({type(error).__name__}: {str(error).strip()})"
    return None


def raw_connection(config: StoreConfig) -> psycopg.Connection[tuple[object, ...]]:
    env = config.env
    return psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        dbname=env["POSTGRES_DBNAME"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        options=f"-c search_path={env['POSTGRES_SCHEMA']}",
    )
