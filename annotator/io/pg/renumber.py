"""New ids for records created offline whose ids another annotator took meanwhile.

Ids of new frames, tracks and annotations come from the in-memory project, so an annotator who worked
offline may have used ids that others have since stored. On replay such a record gets the next free id,
and every later journaled step is rewritten to match (its keys, the record's own id, and the frame and
track an annotation refers to).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from annotator.core.model.commands import HistoryEntry, HistoryUpdate
from annotator.core.model.project import Change

#: (kind, old id) -> new id
Renumbering = dict[tuple[str, int], int]

RENUMBERED_KINDS = ("frame", "track", "annotation")


def renumbered_value(kind: str, value: Any, ids: Renumbering) -> Any:
    """A record with its own id and its references renumbered."""
    if value is None or not ids:
        return value
    fields: dict[str, Any] = {}
    own = ids.get((kind, value.id))
    if own is not None:
        fields["id"] = own
    if kind == "annotation":
        if ("frame", value.frame_id) in ids:
            fields["frame_id"] = ids[("frame", value.frame_id)]
        if value.track_id is not None and ("track", value.track_id) in ids:
            fields["track_id"] = ids[("track", value.track_id)]
    return dataclasses.replace(value, **fields) if fields else value


def renumbered_change(change: Change, ids: Renumbering) -> Change:
    """A change with its key and records renumbered."""
    if change.kind not in RENUMBERED_KINDS or not ids:
        return change
    return Change(
        change.kind,
        ids.get((change.kind, change.key), change.key),
        renumbered_value(change.kind, change.before, ids),
        renumbered_value(change.kind, change.after, ids),
    )


def renumbered_update(update: HistoryUpdate, ids: Renumbering) -> HistoryUpdate:
    """A history update whose entry's changes are renumbered."""
    entry = update.entry
    if entry is None or not ids:
        return update
    changes = tuple(renumbered_change(c, ids) for c in entry.changes)
    return HistoryUpdate(update.action, update.index, HistoryEntry(entry.label, changes, entry.merge_key))


def renumbered_expected(expected: dict[str, Any], ids: Renumbering) -> dict[str, Any]:
    """The journal's expected row versions under the new ids (``"table|json-key"`` slots)."""
    if not ids:
        return expected
    renamed = {}
    for slot, version in expected.items():
        table, _, key = slot.partition("|")
        new = ids.get((table, json.loads(key))) if table in RENUMBERED_KINDS else None
        renamed[slot if new is None else f"{table}|{json.dumps(new)}"] = version
    return renamed
