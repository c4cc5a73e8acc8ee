"""Models > Model version (fp32, int8-static, fp16 on the GPU, pruned, student, student-real) with its card, and Models >
Distil student as a background job with progress and Cancel."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from window_support import show_window  # type: ignore[import-not-found]

import annotator.qt.models.distillation as distillation
from annotator.core.model.records import FrameStatus
from annotator.ml.registry import PluginRegistry
from annotator.ml.variants import cuda_visible, setting_key, student_versions
from annotator.ml.weights import chosen_weights
from annotator.qt.models.distill_dialog import DistillChoice, DistillDialog

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


def _distil_through_menu(window, qtbot, frames: str, epochs: int = 0) -> object:
    """Models > Distil student..., answering its dialog with ``frames`` and ``epochs``; the run's result."""
    seen: dict[str, str] = {}

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, DistillDialog)
        seen["texts"] = " | ".join(button.text() for button in dialog.frame_buttons.values())
        dialog.frame_buttons[frames].setChecked(True)
        dialog.epochs_box.setValue(epochs)
        dialog.accept()

    QTimer.singleShot(0, answer)
    with qtbot.waitSignal(window.distillation.finished, timeout=60_000) as done:
        window.actions["models.distill"].trigger()
        assert window.distillation.running
    return done.args[0], seen["texts"]


def test_distil_student_runs_in_the_background_and_records_a_student_version(
    window, qtbot, monkeypatch
) -> None:
    monkeypatch.setattr(distillation, "distiller_name", lambda manifest: "distill_support:quick_distill")
    steps: list[int] = []
    window.distillation.progress.bar.valueChanged.connect(steps.append)
    result, _ = _distil_through_menu(window, qtbot, "verified")
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


def test_the_distil_dialog_chooses_the_project_frames_and_epochs_and_remembers_them(
    window, qtbot, monkeypatch
) -> None:
    monkeypatch.setattr(distillation, "distiller_name", lambda manifest: "distill_support:quick_distill")
    frames = window.document.project.frames_in_order()
    assert len(frames) >= 2 and all(frame.status != FrameStatus.VERIFIED for frame in frames)
    result, texts = _distil_through_menu(window, qtbot, "all", epochs=7)
    assert f"soft targets only (--unverified): 0 + {len(frames)} frames" in texts
    assert "Verified frames (their labels and the teacher's soft targets): 0 frames" in texts
    card = result.card
    assert (card["verified"], card["unverified"], card["epochs"]) == (0, len(frames), 7)
    assert window.distillation.choices.last() == DistillChoice("all", 7)

    result, _ = _distil_through_menu(window, qtbot, "none")
    assert (result.card["verified"], result.card["unverified"], result.card["epochs"]) == (0, 0, None)
    assert window.distillation.choices.last() == DistillChoice("none", 0)
