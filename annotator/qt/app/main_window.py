"""The main window: the four views, dock panels, menus built from the action registry, a status bar."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QWidget,
)

from annotator.core.edits import SetFrameStatus
from annotator.core.errors import AnnotatorError
from annotator.core.model.records import FrameStatus
from annotator.io.store_api import Location, location_name, project_location
from annotator.io.workspace import Workspace
from annotator.ml.host import PluginHost
from annotator.ml.registry import PluginRegistry
from annotator.qt.app.actions import build_actions, build_menus, build_toolbars, default_actions
from annotator.qt.app.dialog_focus import exec_returning_focus
from annotator.qt.app.settings import AppSettings
from annotator.qt.app.shortcuts import ShortcutManager
from annotator.qt.app.window_layout import LAYOUT_VERSION, arrange_docks, scrollable, with_timeline
from annotator.qt.document import Document
from annotator.qt.editing.controller import EditController
from annotator.qt.editing.toolbar import ClassChooser, keep_tool_actions_checked
from annotator.qt.external_changes import ExternalChanges
from annotator.qt.frame_leases import FrameLeases
from annotator.qt.frame_loader import FrameLoader
from annotator.qt.images.image_panel import ImagePanel
from annotator.qt.keyboard_editing import KeyboardEditor
from annotator.qt.models.distillation import DistillController
from annotator.qt.models.finetuning import FineTuneController
from annotator.qt.models.model_variants import VariantChooser
from annotator.qt.models.preannotation import PreannotationController
from annotator.qt.models.review import ReviewController
from annotator.qt.models.review_follow import ReviewFollower
from annotator.qt.models.scoring import ScoringController
from annotator.qt.models.standing_boxes import StandingBoxes
from annotator.qt.panels.classes import ClassesPanel
from annotator.qt.panels.consensus import ConsensusPanel
from annotator.qt.panels.frames import FramesPanel
from annotator.qt.panels.objects import ObjectsPanel
from annotator.qt.panels.properties import PropertiesPanel
from annotator.qt.panels.review_queue import ReviewQueuePanel
from annotator.qt.panels.timeline import TrackTimeline
from annotator.qt.panels.track_strip import TrackStrip
from annotator.qt.panels.training import TrainingPanel
from annotator.qt.propagation_run import PropagationRun
from annotator.qt.track_editing import TrackEditor
from annotator.qt.transfer import TransferDialog, export_labels, import_dataset
from annotator.qt.views.merged_view import MergedView
from annotator.qt.views.view_grid import ViewGrid
from annotator.render.style import POINT_SIZES, DisplayOptions
from annotator.session import Session

logger = logging.getLogger(__name__)

#: How much faster (Shift) or slower (Ctrl) a fly step is.
FLY_FAST, FLY_SLOW = 4.0, 0.25
#: The status bar's count of the points drawn follows the renders at most this often (ms): each new text
#: lays the whole window out again (its docks animated), 1-2 ms of the window's thread per chunk of detail.
POINT_COUNT_MS = 250


def _set_checked(action: QAction, checked: bool) -> None:
    """Check or uncheck an action without running its handler."""
    action.blockSignals(True)
    action.setChecked(checked)
    action.blockSignals(False)


class MainWindow(QMainWindow):
    """Top-level window. Holds at most one open `Workspace` (through its `Document`)."""

    def __init__(
        self,
        settings: AppSettings | None = None,
        loader: FrameLoader | None = None,
        plugins: PluginRegistry | None = None,
    ) -> None:
        """``plugins``: the application's plugin host (one is made when none is given)."""
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("annotator")
        self.resize(1440, 900)
        self.settings = settings if settings is not None else AppSettings()
        self.loader = loader if loader is not None else FrameLoader(parent=self)
        self.document = Document(self.loader, self)
        self.external = ExternalChanges(self.document.session, self)
        self.external.message.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.leases = FrameLeases(self.document, self)
        self.leases.message.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        self.document.edit_refused.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        self.options = self.settings.display_options()
        self.grid = ViewGrid(self.document)
        self.timeline = TrackTimeline(self.document)
        self.setCentralWidget(with_timeline(self.grid, self.timeline))

        self.plugins = plugins if plugins is not None else PluginHost()  # one host: one model per plugin
        self.preannotation = PreannotationController(self.document, self.settings, self.plugins, self)
        self.review = ReviewController(self.document, self.settings, self)
        self.scoring = ScoringController(self.document, self.settings, self.plugins, self)
        self.document.flags.bind(self.settings.qsettings)
        self.review_queue = ReviewQueuePanel(
            self.document, lambda: self.plugins, lambda: self.scoring.running or self.preannotation.running
        )
        self.scoring.finished.connect(lambda _summary: self.review_queue.refresh_versions())
        self.review_follower = ReviewFollower(
            self.document, self.grid.perspective, self.review, self.review_queue, self
        )
        self.training = FineTuneController(
            self.document,
            self.settings,
            lambda: self.plugins,
            self.preannotation,
            self.scoring,
            self,
        )
        self.training.current_changed.connect(lambda _version: self.review_queue.refresh_versions())
        self.variants = VariantChooser(self.document, self.plugins, self)
        self.standing = StandingBoxes(self.document, self)
        self.distillation = DistillController(self.document, self.plugins, self.settings, self)
        self.images = ImagePanel(self.document)
        self.mouse_tools = EditController(self.document, self.grid, self)
        self.specs = default_actions(with_formats=True)
        self.editing = KeyboardEditor(self.document, self)
        self.tracks = TrackEditor(self.document, self.settings, self)
        self.propagation = PropagationRun(self.document, lambda: not self.grid.scheduler.waiting, self)
        self.track_strip = TrackStrip(self.document)
        self.consensus = ConsensusPanel(self.document)
        self.merged = MergedView(self.document, self.grid, self)
        self.shortcuts = ShortcutManager(self.specs, self.settings, self)
        self.actions = build_actions(self, self.specs)
        self.menus = build_menus(self.menuBar(), self.specs, self.actions)
        self.toolbars = build_toolbars(self, self.specs, self.actions)
        tools = self.toolbars["Tools"]  # the class of new boxes first: overflow hides a toolbar's end
        tools.insertWidget(tools.actions()[0], ClassChooser(self.document))
        keep_tool_actions_checked(self.mouse_tools, self.actions)
        self.recent_menu = self.menus["file.recent"]
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)

        self.classes_panel = ClassesPanel(self.document)
        self.objects_panel = ObjectsPanel(self.document)
        self.properties_panel = PropertiesPanel(self.document)
        self.frames_panel = FramesPanel(
            self.document, self.actions["frame.previous"], self.actions["frame.next"]
        )
        self.docks = {
            "classes": self._dock("Label classes", self.classes_panel),
            "frames": self._dock("Frames", self.frames_panel),
            "objects": self._dock("Objects", self.objects_panel),
            "properties": self._dock("Properties", scrollable(self.properties_panel)),
            "images": self._dock("Images", self.images),
            "queue": self._dock("Review queue", scrollable(self.review_queue)),
            "training": self._dock("Training", scrollable(TrainingPanel(self.training))),
        }
        arrange_docks(self, self.docks)
        self.strip_dock = self._dock("Track strip", self.track_strip)  # hidden until Tracks > Track strip
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.strip_dock)
        self.strip_dock.hide()
        self.consensus_dock = self._dock("Consensus", self.consensus)  # hidden until Team > Consensus view
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.consensus_dock)
        self.consensus_dock.hide()
        self.images.points_check.toggled.connect(self.actions["image.points"].setChecked)
        panels_menu = self.menus["&View"].addMenu("&Panels")
        for dock in (*self.docks.values(), self.strip_dock, self.consensus_dock):
            panels_menu.addAction(dock.toggleViewAction())

        self.points_label = QLabel()
        self.cursor_label = QLabel()
        self.timing_label = QLabel()
        for label in (self.points_label, self.cursor_label, self.timing_label):
            self.statusBar().addPermanentWidget(label)
        self.statusBar().addPermanentWidget(self.preannotation.progress)
        self.statusBar().addPermanentWidget(self.scoring.progress)
        self.statusBar().addPermanentWidget(self.images.deriver.progress)
        self.statusBar().addPermanentWidget(self.propagation.progress)
        self.statusBar().addPermanentWidget(self.distillation.progress)
        for controller in (
            self.preannotation,
            self.scoring,
            self.review,
            self.review_queue,
            self.training,
            self.mouse_tools,
            self.images.deriver,
            self.timeline,
            self.properties_panel,
            self.propagation,
            self.track_strip,
            self.variants,
            self.standing,
            self.distillation,
        ):
            controller.message.connect(self.statusBar().showMessage)
        self.statusBar().showMessage("No project open: File > New or File > Open")
        self._connect_editing()

        self.document.frame_changed.connect(self._frame_changed)
        self.document.history_changed.connect(self._update_undo_actions)
        self.document.cloud_changed.connect(self.show_point_count)
        self.document.cloud_failed.connect(lambda message: self.statusBar().showMessage(message, 10_000))
        self.grid.frame_shown.connect(self._show_timing)
        self.grid.cursor_moved.connect(self._show_cursor)
        self._count_timer = QTimer(self)  # the count of the points drawn, after the renders (issue 25)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(POINT_COUNT_MS)
        self._count_timer.timeout.connect(self.show_point_count)
        self.grid.perspective.rendered.connect(self._point_count_later)
        self._default_layout = (
            self.saveState(LAYOUT_VERSION),
            self.grid.saveState(),
            self.grid.ortho_splitter.saveState(),
        )
        self._restore_layout()
        self._apply_options(self.options)
        self._update_undo_actions()

    def _connect_editing(self) -> None:
        """Keyboard editing, tracks and rebindable shortcuts: messages, menu check marks, saved keys."""
        for editor in (self.editing, self.tracks):
            editor.message.connect(self.statusBar().showMessage)
        nine_dof = self.actions["cuboid.nine_dof"]
        self.editing.nine_dof_changed.connect(lambda on: _set_checked(nine_dof, on))
        _set_checked(self.actions["tracks.refit"], self.tracks.refit)
        self.shortcuts.attach(self.actions)
        self.tracks.bind_actions(self.actions)
        self.track_strip.bind_resize_keys(self.specs, self.actions)
        self.merged.bind_actions(self.actions)
        self.variants.bind_actions(self.actions)
        self.standing.bind_actions(self.actions)
        self.merged.message.connect(self.statusBar().showMessage)

    def _dock(self, title: str, widget: QWidget) -> QDockWidget:
        """A dock panel holding ``widget`` (placed by `arrange_docks`)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower().replace(' ', '-')}")
        dock.setWidget(widget)
        return dock

    # -- projects -----------------------------------------------------------------------------------
    @property
    def session(self) -> Session:
        """The open project, its undo history and the view state (the document's session)."""
        return self.document.session

    def open_project(self, directory: Location) -> None:
        """Open the project in ``directory`` or at a store URL (closing the current one) at the frame
        last viewed there.

        Raises `AnnotatorError` when it cannot be opened.
        """
        workspace = Workspace.open(directory)
        self.adopt_workspace(workspace, self.settings.last_frame(directory))
        self.settings.remember_recent(directory)

    def adopt_workspace(self, workspace: Workspace, frame_id: int | None = None, wait: bool = False) -> None:
        """Show an open workspace (the window closes it later), at ``frame_id`` or the first frame.

        With ``wait`` the frame's cloud is loaded before this returns (headless snapshots).
        """
        self.close_project()
        self.document.open(workspace, frame_id, wait=wait)
        read_only = " (read-only)" if self.session.read_only else ""
        self.setWindowTitle(f"annotator - {location_name(workspace.location)}{read_only}")
        project = workspace.project
        self.statusBar().showMessage(
            f"{len(project.frames)} frames, {len(project.annotations)} annotations", 5000
        )

    def close_project(self) -> None:
        """Close the open project (every step is already saved)."""
        self.leases.release()  # while the store is still the open one
        workspace = self.document.close()
        if workspace is None:
            return
        workspace.close()
        self.setWindowTitle("annotator")

    def _open_with_message(self, directory: Location) -> None:
        try:
            self.open_project(directory)
        except AnnotatorError as error:
            QMessageBox.critical(self, "Cannot open project", str(error))

    def ask_open_project(self) -> None:
        """File > Open: choose a project directory."""
        directory = QFileDialog.getExistingDirectory(self, "Open project")
        if directory:
            self._open_with_message(Path(directory))

    def ask_new_project(self) -> None:
        """File > New: choose an empty directory for a new project."""
        directory = QFileDialog.getExistingDirectory(self, "New project in directory")
        if directory:
            self._create_and_open(Path(directory))

    def _create_and_open(self, directory: Path) -> bool:
        """Create a project in ``directory`` and open it; False (after saying why) when that fails."""
        try:
            Workspace.create(directory).close()
            self.open_project(directory)
        except AnnotatorError as error:
            QMessageBox.critical(self, "Cannot create project", str(error))
            return False
        return True

    def ask_import_dataset(self) -> None:
        """File > Import dataset: a source in a registered format, into the open (or a new) project."""
        dialog = TransferDialog(exporting=False, parent=self)
        request = dialog.request() if exec_returning_focus(dialog) == QDialog.DialogCode.Accepted else None
        if request is None:
            return
        if self.session.project is None:
            directory = QFileDialog.getExistingDirectory(self, "New project for the imported dataset")
            if not directory or not self._create_and_open(Path(directory)):
                return
        self._run_transfer("Import failed", lambda: import_dataset(self.session, request))

    def ask_export_labels(self) -> None:
        """File > Export labels: the project's labels in a registered format."""
        if self.session.project is None:
            self.statusBar().showMessage("Open a project to export its labels", 5000)
            return
        dialog = TransferDialog(exporting=True, parent=self)
        request = dialog.request() if exec_returning_focus(dialog) == QDialog.DialogCode.Accepted else None
        if request is None:
            return
        progress = QProgressDialog("Exporting", "", 0, 0, self)
        progress.setCancelButton(None)
        progress.setMinimumDuration(300)
        try:
            self._run_transfer(
                "Export failed", lambda: export_labels(self.document.project, request, progress)
            )
        finally:
            progress.close()

    def _run_transfer(self, title: str, work: Callable[[], str]) -> None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            summary = work()
        except AnnotatorError as error:
            QApplication.restoreOverrideCursor()
            QMessageBox.critical(self, title, str(error))
            return
        QApplication.restoreOverrideCursor()
        self.statusBar().showMessage(summary, 15_000)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_projects()
        for path in recent:
            self.recent_menu.addAction(path, lambda p=path: self._open_with_message(project_location(p)))
        self.recent_menu.setEnabled(bool(recent))

    # -- edit ---------------------------------------------------------------------------------------
    def undo(self) -> None:
        """Edit > Undo."""
        self._step(self.session.undo)

    def redo(self) -> None:
        """Edit > Redo."""
        self._step(self.session.redo)

    def _step(self, action: Callable[[], None]) -> None:
        try:
            action()
        except AnnotatorError as error:
            self.statusBar().showMessage(str(error), 10_000)

    def clear_selection(self) -> None:
        """Edit > Clear selection (Esc); while a propagation runs, Esc stops it instead."""
        if not self.propagation.stop():
            self.document.select(None)

    def _update_undo_actions(self) -> None:
        undo_label, redo_label = self.session.undo_label(), self.session.redo_label()
        undo, redo = self.actions["edit.undo"], self.actions["edit.redo"]
        undo.setEnabled(undo_label is not None)
        redo.setEnabled(redo_label is not None)
        undo.setText(f"&Undo {undo_label}" if undo_label else "&Undo")
        redo.setText(f"&Redo {redo_label}" if redo_label else "&Redo")

    def show_track_strip(self) -> None:
        """Tracks > Track strip: the strip's dock, the first time as a tab beside the images."""
        dock, images = self.strip_dock, self.docks["images"]
        placed = dock.isFloating() or dock in self.tabifiedDockWidgets(images)
        if not dock.isVisible() and images.isVisible() and not placed:
            self.tabifyDockWidget(images, dock)
        self.track_strip.reveal()

    def show_consensus(self) -> None:
        """Team > Consensus view: the consensus dock, the first time as a tab beside the review queue."""
        dock, queue = self.consensus_dock, self.docks["queue"]
        placed = dock.isFloating() or dock in self.tabifiedDockWidgets(queue)
        if not dock.isVisible() and queue.isVisible() and not placed:
            self.tabifyDockWidget(queue, dock)
        dock.show()
        dock.raise_()

    # -- frames -------------------------------------------------------------------------------------
    def step_frame(self, step: int) -> None:
        """Frame > Next / Previous."""
        self.document.step_frame(step)

    def go_to_end(self, last: bool) -> None:
        """Frame > First / Last."""
        frames = self.document.frames()
        if frames:
            self.document.set_frame(frames[-1 if last else 0].id)

    def mark_frame_verified(self) -> None:
        """Frame > Mark frame verified: toggles the current frame between verified and in progress."""
        frame = self.document.frame
        if frame is None:
            return
        verified = frame.status == FrameStatus.VERIFIED
        self.document.push(
            SetFrameStatus(frame.id, FrameStatus.IN_PROGRESS if verified else FrameStatus.VERIFIED)
        )

    def _frame_changed(self, frame_id: object) -> None:
        root = self.session.root
        if root is not None and frame_id is not None:
            self.settings.set_last_frame(root, int(frame_id))
        self.timing_label.setText("loading…" if frame_id is not None and self.document.cloud is None else "")
        self.show_point_count()

    # -- camera -------------------------------------------------------------------------------------
    def reset_camera(self) -> None:
        """View > Reset camera."""
        self.grid.perspective.reset_camera()

    def bird_eye(self) -> None:
        """View > Bird's-eye view."""
        self.grid.perspective.bird_eye()

    def focus_selected(self) -> None:
        """View > Focus selected object."""
        if not self.grid.perspective.focus_selected():
            self.statusBar().showMessage("Select an object to focus on it", 3000)

    def fly(self, forward: int, right: int, up: int) -> None:
        """View > Fly: one step; Shift held goes faster, Ctrl slower."""
        modifiers = QGuiApplication.queryKeyboardModifiers()
        speed = 1.0
        if modifiers & Qt.KeyboardModifier.ShiftModifier:
            speed *= FLY_FAST
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            speed *= FLY_SLOW
        self.grid.perspective.fly(forward, right, up, speed)

    # -- display options ----------------------------------------------------------------------------
    def set_color_mode(self, mode: str, checked: bool = True) -> None:
        """View > Colour points by."""
        if checked:
            self._apply_options(dataclasses.replace(self.options, color_mode=mode))

    def set_background(self, name: str, checked: bool = True) -> None:
        """View > Background."""
        if checked:
            self._apply_options(dataclasses.replace(self.options, background=name))

    def change_point_size(self, step: int) -> None:
        """View > Larger / Smaller points."""
        sizes = list(POINT_SIZES)
        current = min(range(len(sizes)), key=lambda i: abs(sizes[i] - self.options.point_size))
        size = sizes[max(0, min(len(sizes) - 1, current + step))]
        self._apply_options(dataclasses.replace(self.options, point_size=size))

    def set_option(self, name: str, checked: bool) -> None:
        """View > a shown/hidden helper (grid, rings, labels, highlight, colour bar)."""
        if getattr(self.options, name) != checked:
            self._apply_options(dataclasses.replace(self.options, **{name: checked}))

    def _apply_options(self, options: DisplayOptions) -> None:
        self.options = options
        self.settings.set_display_options(options)
        self.grid.set_options(options)
        checks = {
            f"view.color.{options.color_mode}": True,
            f"view.background.{options.background}": True,
            "view.grid": options.show_grid,
            "view.rings": options.show_rings,
            "view.labels": options.show_labels,
            "view.highlight": options.highlight_inside,
            "view.color_bar": options.show_color_bar,
        }
        for action_id, checked in checks.items():
            action = self.actions.get(action_id)
            if action is not None and action.isChecked() != checked:
                action.blockSignals(True)
                action.setChecked(checked)
                action.blockSignals(False)

    # -- status bar ---------------------------------------------------------------------------------
    def _point_count_later(self, _milliseconds: float = 0.0) -> None:
        """A render: show the count of the points drawn once the next `POINT_COUNT_MS` are over (one
        update for the many chunks of detail and edits' renders meanwhile)."""
        if not self._count_timer.isActive():
            self._count_timer.start()

    def show_point_count(self) -> None:
        """Show the count of the cloud's points and of those drawn now in the status bar (after renders it
        follows on a timer, `POINT_COUNT_MS`; a snapshot asks at once)."""
        cloud = self.document.cloud
        if cloud is None:
            self.points_label.setText("")
            return
        if cloud.partial:  # a preview while the whole cloud is read
            self.points_label.setText(f"{len(cloud):,} of {cloud.total:,} points (reading the rest)")
            return
        drawn = self.grid.perspective.scene.drawn_points
        text = f"{len(cloud):,} points"
        if drawn != len(cloud) and self.grid.perspective.detail == "full":
            text += f" ({drawn:,} drawn, the rest out of view)"  # a cloud out of core leaves those runs out
        elif drawn != len(cloud):  # moving (the sample), or at rest while the full detail comes in
            moving = self.grid.perspective.scene.detail == "coarse"
            text += f" (drawing {drawn:,}{' while moving' if moving else ''})"
        self.points_label.setText(text)

    def _show_cursor(self, point: object) -> None:
        if point is None:
            self.cursor_label.setText("")
            return
        x, y, z = np.asarray(point, dtype=float)
        self.cursor_label.setText(f"x {x:8.2f}  y {y:8.2f}  z {z:6.2f} m")

    def _show_timing(self, load_ms: float, render_ms: float) -> None:
        self.timing_label.setText(f"load {load_ms:.0f} ms + render {render_ms:.0f} ms")

    # -- layout -------------------------------------------------------------------------------------
    def _layout_parts(self) -> dict[str, tuple]:
        return {
            "state": (
                lambda: self.saveState(LAYOUT_VERSION),
                lambda state: self.restoreState(state, LAYOUT_VERSION),
            ),
            # renamed when the default view sizes changed: the old defaults (thin ortho views) are not restored
            "view_sizes": (self.grid.saveState, self.grid.restoreState),
            "ortho_sizes": (self.grid.ortho_splitter.saveState, self.grid.ortho_splitter.restoreState),
        }

    def _restore_layout(self) -> None:
        geometry = self.settings.layout_state("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        for name, (_, restore) in self._layout_parts().items():
            state = self.settings.layout_state(name)
            if state is not None:
                restore(state)

    def save_layout(self) -> None:
        """Remember the window geometry, docks and splitter sizes."""
        self.settings.set_layout_state("geometry", self.saveGeometry())
        for name, (save, _) in self._layout_parts().items():
            self.settings.set_layout_state(name, save())
        self.settings.sync()

    def reset_layout(self) -> None:
        """View > Reset window layout."""
        state, views, ortho = self._default_layout
        self.restoreState(QByteArray(state), LAYOUT_VERSION)
        self.grid.restoreState(QByteArray(views))
        self.grid.ortho_splitter.restoreState(QByteArray(ortho))
        for dock in self.docks.values():
            dock.show()

    def closeEvent(self, event) -> None:
        """Remember the layout, close the project and release the views."""
        self.save_layout()
        self.editing.detach()
        self.preannotation.shutdown()
        self.scoring.shutdown()
        self.training.shutdown()
        self.distillation.shutdown()
        self.review_queue.jobs.wait()
        self.images.deriver.shutdown()
        self.merged.wait()
        self.images.overlay_worker.wait()
        self.propagation.shutdown()
        self.track_strip.crops.wait()
        self.close_project()
        self.loader.shutdown()
        self.grid.dispose()
        super().closeEvent(event)
