"""Least-privilege roles on a PostgreSQL store: a writer that can append to the history but
never change it, and an auditor that can read everything and change nothing.

`okno migrate --writer W --auditor A` (run as the administrator who owns the tables) makes
them; `okno serve` and `okno worker` then connect as W, an auditor's `okno audit verify` as
A. Each of okno's tables is one of three kinds (``TABLES``), so what a role may do to it is
decided in one place:

- HISTORY: the events (cases, offices' days, the directory, the personal-data access log,
  idempotency keys: all are aggregates in the one events table) and the snapshots. The
  writer may INSERT and SELECT; UPDATE, DELETE and TRUNCATE are refused by the database.
  The eventsourcing library never rewrites either (a snapshot is a new row at a new
  version), so nothing okno does needs more.
- KEYS: the case keys. Shredding a case's personal data IS deleting its key, so the
  writer may DELETE a row, but never UPDATE one (a key swapped under a case) or TRUNCATE.
- STATE: conveniences okno rewrites as it runs and can rebuild or do without: the read
  models and their tracking positions, parked cases, the notification outbox, revoked
  tokens, PIN attempts. The writer has every row right (SELECT, INSERT, UPDATE, DELETE,
  TRUNCATE), never DDL: changing a read model's tables (`okno migrate`, `okno projections
  rebuild`) is the administrator's.

A table the list does not know (a later version's, before this list learns it) is treated
as HISTORY, the least the writer can do to it, and `migrate` names it.

One wrinkle of the library: every insert into the events table first takes
``LOCK TABLE … IN EXCLUSIVE MODE`` (so log readers never miss a late commit), and
PostgreSQL lets only a role with UPDATE, DELETE or TRUNCATE take that lock. Rather than
grant the writer UPDATE, the administrator owns a SECURITY DEFINER function that takes
exactly that lock and nothing else (``LOCK_FUNCTION``); an engine connected as a role
without UPDATE on the events table calls it instead (engine.events_lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from psycopg import sql

from engine.events_lock import LOCK_FUNCTION


class Kind(Enum):
    HISTORY = "history"
    KEYS = "keys"
    STATE = "state"


WRITER_RIGHTS: dict[Kind, tuple[str, ...]] = {
    Kind.HISTORY: ("SELECT", "INSERT"),
    Kind.KEYS: ("SELECT", "INSERT", "DELETE"),
    Kind.STATE: ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"),
}

# okno's tables by kind and why. The events and snapshots tables are named after the store
# application ("okno"), the tracking table after the library's default.
# The advisory lock that keeps two role set-ups in one cluster from racing.
ROLES_LOCK = 0x6F6B6E6F  # 'okno'

TABLES: dict[str, tuple[Kind, str]] = {
    "okno_events": (Kind.HISTORY, "every event of every aggregate, and the notification log"),
    "okno_snapshots": (Kind.HISTORY, "snapshots: written once each, checked against the events when loaded"),
    "okno_ledger": (Kind.HISTORY, "the store-wide chain: each notification linked in log order (the notary)"),
    "okno_checkpoints": (Kind.HISTORY, "signed checkpoints of the ledger's head, each chained to the one before"),
    "okno_case_keys": (Kind.KEYS, "each case's wrapped key; deleting one shreds the case's personal data"),
    "okno_notifications": (Kind.STATE, "the outbox of SMS and e-mail: marked sent as they go"),
    "okno_revoked_tokens": (Kind.STATE, "revoked bearer tokens, forgotten once expired"),
    "okno_track_attempts": (Kind.STATE, "PIN attempts per client, a sliding window"),
    "notification_tracking": (Kind.STATE, "each read model's position in the notification log"),
    "okno_read_models": (Kind.STATE, "each read model's version"),
    "okno_parked": (Kind.STATE, "cases a read model could not fold"),
    "okno_chain_heads": (Kind.STATE, "where each read model left each case's chain (the chain guard)"),
}
READ_MODEL_PREFIX = "rm_"  # every read model's table: rebuildable from the events


def kind_of(table: str) -> Kind | None:
    """The table's kind; None for a table okno does not know."""
    if table in TABLES:
        return TABLES[table][0]
    if table.startswith(READ_MODEL_PREFIX):
        return Kind.STATE
    return None


class RoleSetupRefused(Exception):
    """Roles that would defeat their purpose (the writer owning the tables, one role for both)."""


@dataclass(frozen=True)
class RolesReport:
    writers: list[str]
    auditors: list[str]
    tables: dict[str, Kind]
    unknown: list[str]  # tables no kind names: given the writer HISTORY's rights


def set_up_roles(
    connection: Any, schema: str, writer: str, auditor: str, events_table: str = "okno_events"
) -> RolesReport:
    """Create (if missing) and grant the writer and auditor roles on the store's ``schema``,
    as the connected administrator, in one transaction. Running it again converges: every
    right of the two roles on the schema's tables is revoked first and granted again."""
    admin = _one(connection, "SELECT current_user")
    if writer == auditor:
        raise RoleSetupRefused(f"the writer and the auditor must be two roles, not both {writer!r}")
    if admin in (writer, auditor):
        raise RoleSetupRefused(
            f"{admin!r} runs the migration and owns the tables: the writer and the auditor must be other roles"
        )
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (ROLES_LOCK,))
        for role in (writer, auditor):
            exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                # LOGIN without a password: the DBA gives it one, or pg_hba.conf admits it.
                connection.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
            elif _owns_anything(connection, role, schema):
                raise RoleSetupRefused(f"{role!r} owns objects in schema {schema!r}: it cannot be held to its rights")
        return grant(connection, schema, events_table, [writer], [auditor])


def roles_in_place(connection: Any, schema: str, events_table: str = "okno_events") -> tuple[list[str], list[str]]:
    """The writers and auditors an earlier `okno migrate --writer --auditor` set up, read
    from the rights on the events table: a writer may INSERT, an auditor only SELECT."""
    rows = connection.execute(
        "SELECT pg_get_userbyid(a.grantee), a.privilege_type "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a "
        "WHERE n.nspname = %s AND c.relname = %s AND a.grantee <> c.relowner AND a.grantee <> 0",
        (schema, events_table),
    ).fetchall()
    rights: dict[str, set[str]] = {}
    for role, right in rows:
        rights.setdefault(role, set()).add(right)
    writers = sorted(role for role, held in rights.items() if "INSERT" in held)
    auditors = sorted(role for role, held in rights.items() if held == {"SELECT"})
    return writers, auditors


def grant(connection: Any, schema: str, events_table: str, writers: list[str], auditors: list[str]) -> RolesReport:
    """Give each role exactly its rights on what the schema holds now, and on the tables the
    administrator creates later (a read model rebuilt by `okno projections rebuild` is dropped
    and created again): row rights for the writers, which suit a read model; SELECT for the
    auditors. A later `okno migrate` grants a new table its kind's rights again."""
    if not writers and not auditors:
        raise RoleSetupRefused("no roles to grant")
    s = sql.Identifier(schema)
    roles = sql.SQL(", ").join(sql.Identifier(role) for role in (*writers, *auditors))
    with connection.transaction():
        # Roles and a database's rights are the cluster's, not the schema's: two migrations at
        # once (two deployments, two test runs) would race on them ("tuple concurrently
        # updated"). One at a time, held to the end of this transaction.
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (ROLES_LOCK,))
        database = sql.Identifier(_one(connection, "SELECT current_database()"))
        connection.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, roles))
        connection.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(s))
        connection.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(s, roles))
        connection.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, roles))
        for everyone in (sql.SQL("PUBLIC"), roles):
            for objects in ("TABLES", "SEQUENCES", "FUNCTIONS"):
                connection.execute(
                    sql.SQL("REVOKE ALL ON ALL {} IN SCHEMA {} FROM {}").format(sql.SQL(objects), s, everyone)
                )
                connection.execute(
                    sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} REVOKE ALL ON {} FROM {}").format(
                        s, sql.SQL(objects), everyone
                    )
                )
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", (schema,)
            )
        ]
        kinds: dict[str, Kind] = {}
        unknown: list[str] = []
        for table in tables:
            kind = kind_of(table)
            if kind is None:
                unknown.append(table)
                kind = Kind.HISTORY
            kinds[table] = kind
        for writer in map(sql.Identifier, writers):
            for table, kind in kinds.items():
                rights = sql.SQL(", ").join(sql.SQL(right) for right in WRITER_RIGHTS[kind])
                connection.execute(
                    sql.SQL("GRANT {} ON {} TO {}").format(rights, sql.Identifier(schema, table), writer)
                )
            # Notification ids: nextval needs USAGE; setval would need UPDATE.
            connection.execute(sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, writer))
            state = sql.SQL(", ").join(sql.SQL(right) for right in WRITER_RIGHTS[Kind.STATE])
            connection.execute(
                sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT {} ON TABLES TO {}").format(s, state, writer)
            )
        for auditor in map(sql.Identifier, auditors):
            # The auditor reads everything, sequences included (to see the log's head).
            for objects in ("TABLES", "SEQUENCES"):
                connection.execute(
                    sql.SQL("GRANT SELECT ON ALL {} IN SCHEMA {} TO {}").format(sql.SQL(objects), s, auditor)
                )
                connection.execute(
                    sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON {} TO {}").format(
                        s, sql.SQL(objects), auditor
                    )
                )
        _lock_function(connection, schema, events_table, writers)
    return RolesReport(writers, auditors, kinds, unknown)


def _one(connection: Any, query: str) -> str:
    row = connection.execute(query).fetchone()
    return str(row[0])


def _owns_anything(connection: Any, role: str, schema: str) -> bool:
    owned = connection.execute(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND pg_get_userbyid(c.relowner) = %s LIMIT 1",
        (schema, role),
    ).fetchone()
    return owned is not None


def _lock_function(connection: Any, schema: str, events_table: str, writers: list[str]) -> None:
    """The one lock the library takes before an insert, taken with the owner's right. The
    function's search path is fixed, so a caller cannot make it run another LOCK's table."""
    function = sql.Identifier(schema, LOCK_FUNCTION)
    body = sql.SQL("BEGIN LOCK TABLE {} IN EXCLUSIVE MODE; END").format(sql.Identifier(schema, events_table))
    connection.execute(
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {}() RETURNS void LANGUAGE plpgsql SECURITY DEFINER "
            "SET search_path = pg_catalog, pg_temp AS {}"
        ).format(function, sql.Literal(body.as_string(connection)))
    )
    connection.execute(sql.SQL("REVOKE ALL ON FUNCTION {}() FROM PUBLIC").format(function))
    for writer in writers:
        connection.execute(sql.SQL("GRANT EXECUTE ON FUNCTION {}() TO {}").format(function, sql.Identifier(writer)))
