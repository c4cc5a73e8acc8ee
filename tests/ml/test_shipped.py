"""Recording a shipped weights file's hash in its plugin's manifest source (what the ship and convert
scripts do)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.ml.shipped import record_sha256

MANIFEST = """MANIFEST = {
    "base_weights": {"file": "weights/base.pt", "sha256": "00ff", "card": "weights/base.card.json"},
}
"""


def test_the_one_sha256_entry_gets_the_new_digest_and_nothing_else_changes(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text(MANIFEST, encoding="utf-8")
    record_sha256(init, "ab" * 32)
    assert init.read_text(encoding="utf-8") == MANIFEST.replace("00ff", "ab" * 32)


@pytest.mark.parametrize("entries", [0, 2])
def test_a_manifest_without_exactly_one_entry_is_refused_and_left_alone(tmp_path: Path, entries: int) -> None:
    init = tmp_path / "__init__.py"
    text = "MANIFEST = {}\n" + '"sha256": "00"\n' * entries
    init.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="no single sha256 entry"):
        record_sha256(init, "ab" * 32)
    assert init.read_text(encoding="utf-8") == text
