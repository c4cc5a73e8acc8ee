"""Models > Model version (fp32, int8-static, fp16 on the GPU, pruned, student, student-real) with its card, and Models >
Distil student as a background job with progress and Cancel."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from window_support import show_window  # type: ignore[import-not-found]

import annotator.qt.models.distillation as distillation
from annotator.ml.registry import PluginRegistry
from annotator.ml.variants import cuda_visible, setting_key, student_versions
from annotator.ml.weights import chosen_weights

WEIGHTS = Path(__file__).parents[3] / "plugins" / "pointpillars" / "weights"
VARIANTS = ("fp32", "int8-static", "fp16-gpu", "pruned", "student", "student-real")


@pytest.fixture
def window(qtbot, settings, unlabelled_street: Path):
    registry = PluginRegistry.discover([], entry_points_too=True)
    main = show_window(qtbot, settings, unlabelled_street, plugins=registry)
    yield main
    main.close()


def checked(window) -> list[str]:
    return [name for name in VARIANTS if window.actions[f"models.variant.{name}"].isChecked()]


@pytest.mark.skipif(not (WEIGHTS / "pruned.pt").is_file(), reason="pruned weights not shipped here")
def test_choosing_a_version_is_an_undoable_step_that_pre_annotation_follows(window) -> None:
    models = window.menus["&Models"]
    submenu = next(a.menu() for a in models.actions() if a.menu() is not None and "version" in a.text())
    assert [a.text().replace("&", "").split(" ")[0] for a in submenu.actions()[:6]] == [
        "fp32", "int8-static", "fp16", "pruned", "student", "student-real"
    ]  # fmt: skip
    assert checked(window) == ["fp32"]
    assert window.actions["models.variant.fp16-gpu"].isEnabled() == cuda_visible()
    window.actions["models.variant.pruned"].trigger()
    project = window.document.project
    assert project.settings[setting_key("pointpillars")] == "pruned"
    assert checked(window) == ["pruned"]
    manifest = window.plugins.manifest("pointpillars")
    assert chosen_weights(manifest, project) == WEIGHTS / "pruned.pt"
    window.actions["models.variant_card"].trigger()
    assert "sha256:" in window.variants.card_box.text() and "pruned" in window.variants.card_box.text()
    window.actions["edit.undo"].trigger()
    assert checked(window) == ["fp32"]
    assert chosen_weights(manifest, window.document.project) == WEIGHTS / "base.pt"
    if (WEIGHTS / "student_real.pt").is_file():
        window.actions["models.variant.student-real"].trigger()
        assert chosen_weights(manifest, window.document.project) == WEIGHTS / "student_real.pt"
        window.actions["models.variant_card"].trigger()
        assert "PC_315978416020229000" in window.variants.card_box.text()  # the real sweeps it learned from


def test_distil_student_runs_in_the_background_and_records_a_student_version(
    window, qtbot, monkeypatch
) -> None:
    monkeypatch.setattr(distillation, "distiller_name", lambda manifest: "distill_support:quick_distill")
    steps: list[int] = []
    window.distillation.progress.bar.valueChanged.connect(steps.append)
    window.actions["models.distill"].trigger()
    assert window.distillation.running
    with qtbot.waitSignal(window.distillation.finished, timeout=60_000) as done:
        pass
    result = done.args[0]
    assert result is not None and result.weights.read_bytes() == b"student weights"
    assert 3 in steps and not window.distillation.progress.isVisible()
    (student,) = student_versions(window.document.project, "pointpillars")
    assert student.metrics["card"]["model"] == "a quick student" and student.sha256
    window.actions["models.variant.student"].trigger()
    manifest = window.plugins.manifest("pointpillars")
    assert chosen_weights(manifest, window.document.project) == result.weights
    window.actions["edit.undo"].trigger()
    window.actions["edit.undo"].trigger()  # the student's record goes too
    assert student_versions(window.document.project, "pointpillars") == []


def test_cancelling_a_distillation_records_nothing(window, qtbot, monkeypatch) -> None:
    monkeypatch.setattr(distillation, "distiller_name", lambda manifest: "distill_support:quick_distill")
    window.distillation.start({"step_seconds": 2.0})
    window.actions["models.cancel_distill"].trigger()
    with qtbot.waitSignal(window.distillation.finished, timeout=60_000) as done:
        pass
    assert done.args[0] is None
    assert student_versions(window.document.project, "pointpillars") == []
