"""The shared store's schema, managed by yoyo-migrations from the raw SQL files in ``migrations/``.

yoyo records applied migrations in its own table and takes an advisory lock while it applies them, so
two annotators opening a fresh database at once do not race. New schema versions are new files
(``0002_*.sql``); a database migrated by a newer annotator than this one is refused on open.
"""

from __future__ import annotations

import logging
from importlib.resources import files

from annotator.io.errors import ProjectError

logger = logging.getLogger(__name__)

MIGRATION_TABLE = "annotator_migrations"


def migration_ids() -> list[str]:
    """The ids of the migrations this annotator ships, oldest first."""
    folder = files("annotator.io.pg") / "migrations"
    return sorted(
        p.name[:-4] for p in folder.iterdir() if p.name.endswith(".sql") and ".rollback" not in p.name
    )


def migrate(dsn: str, where: str) -> None:
    """Bring the database at ``dsn`` to this annotator's schema (applies only what is missing)."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict
    from yoyo import read_migrations
    from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend  # directly: no entry-point lookup
    from yoyo.connections import DatabaseURI

    args = {k: str(v) for k, v in conninfo_to_dict(dsn).items()}
    database = args.pop("dbname", None)
    uri = DatabaseURI("postgresql+psycopg", None, None, None, None, database, args)
    try:
        backend = PostgresqlPsycopgBackend(uri, MIGRATION_TABLE)
    except psycopg.Error as error:
        last = (str(error).strip().splitlines() or ["connection failed"])[-1]
        raise ProjectError(f"{where}: cannot reach the database ({last})") from error
    try:
        backend.init_database()
        with backend.lock():
            backend.ensure_internal_schema_updated()
            applied = {row[0] for row in backend.execute(f"SELECT migration_id FROM {MIGRATION_TABLE}")}
            newer = applied - set(migration_ids())
            if newer:
                raise ProjectError(
                    f"{where}: database schema made by a newer annotator ({', '.join(sorted(newer))}); "
                    "update annotator"
                )
            pending = backend.to_apply(read_migrations(str(files("annotator.io.pg") / "migrations")))
            if pending:
                logger.info("%s: applying %d schema migrations", where, len(pending))
                backend.apply_migrations(pending)
    finally:
        backend.connection.close()
