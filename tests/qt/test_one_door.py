"""The window reaches the open project only through the Document and its Session: no module of
`annotator/qt` but the adapter reads ``.workspace`` or ``.stack`` (the undo stack) of anything."""

from __future__ import annotations

import ast
from pathlib import Path

QT = Path(__file__).resolve().parents[2] / "annotator" / "qt"
#: The one adapter between the session and Qt.
ALLOWED = {"document.py"}
FORBIDDEN = {"workspace", "stack"}


def reach_throughs(source: str) -> list[tuple[int, str]]:
    """(line, attribute) of every ``something.workspace`` / ``something.stack`` in Python source."""
    return [
        (node.lineno, node.attr)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN
    ]


def test_the_scan_finds_attribute_reads_and_ignores_imports_and_words() -> None:
    found = reach_throughs(
        "from annotator.io.workspace import Workspace\n"
        "workspace = document.workspace\n"
        "with workspace.stack.group('x'):\n"
        "    stack = 'the stack'\n"
    )
    assert found == [(2, "workspace"), (3, "stack")]


def test_no_qt_module_but_the_document_reaches_into_the_workspace_or_its_stack() -> None:
    offenders = [
        f"{path.relative_to(QT.parent.parent)}:{line}: .{attribute}"
        for path in sorted(QT.rglob("*.py"))
        if str(path.relative_to(QT)) not in ALLOWED
        for line, attribute in reach_throughs(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "go through document.session instead:\n" + "\n".join(offenders)
