"""Store migrations that move data between record kinds (the table changes live in `annotator.io.store`).

Schema 3: model versions became a record kind of their own. Older projects kept each version as a setting
``model_version:<plugin>:<id>``; the migration moves those rows to the ``model_version`` kind (key
``<plugin>:<id>``, the same JSON) and rewrites the stored undo history the same way, so undoing or redoing
a training step recorded before the upgrade still adds or removes its version.
"""

from __future__ import annotations

import json
import logging
import sqlite3

logger = logging.getLogger(__name__)

#: How schema 2 named a model-version setting.
LEGACY_VERSION_PREFIX = "model_version:"
_LEGACY = "kind = 'setting' AND substr(key, 1, ?) = ?"


def versions_as_records(db: sqlite3.Connection) -> None:
    """Move ``model_version:*`` settings (and history changes of them) to the ``model_version`` kind."""
    prefix = (len(LEGACY_VERSION_PREFIX), LEGACY_VERSION_PREFIX)
    rows = db.execute(f"SELECT key, data FROM documents WHERE {_LEGACY}", prefix).fetchall()
    db.executemany(
        "INSERT OR REPLACE INTO documents (kind, key, data) VALUES ('model_version', ?, ?)",
        [(key[len(LEGACY_VERSION_PREFIX) :], data) for key, data in rows],
    )
    db.execute(f"DELETE FROM documents WHERE {_LEGACY}", prefix)
    rewritten = 0
    for seq, text in db.execute("SELECT seq, changes FROM history").fetchall():
        changes = json.loads(text)
        moved = False
        for change in changes:
            kind, key = change[0], change[1]
            if kind == "setting" and isinstance(key, str) and key.startswith(LEGACY_VERSION_PREFIX):
                change[0], change[1] = "model_version", key[len(LEGACY_VERSION_PREFIX) :]
                moved = True
        if moved:
            db.execute("UPDATE history SET changes = ? WHERE seq = ?", (json.dumps(changes), seq))
            rewritten += 1
    logger.info("model versions as records: %d moved, %d history steps rewritten", len(rows), rewritten)
