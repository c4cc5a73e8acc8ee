"""Every user action declared once (id, title, menu, default keys, handler); menus and shortcuts are
built from this registry, and so is the README's shortcut table (`shortcut_rows`).

A handler is the name of a method on the object the actions are built for (the main window), or a
dotted path to one on its attributes (``"review.accept_selected"``), called with the spec's ``args``
and, for checkable actions, the new checked state. Keys are Qt portable
strings (``"Ctrl+1"``) or ``"std:Undo"`` for Qt's platform-standard key of that name.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMenuBar, QToolBar

from annotator.render.cloud import COLOR_MODE_TITLES, COLOR_MODES
from annotator.render.style import BACKGROUNDS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActionSpec:
    """One action: where it appears, its default keys and what it calls."""

    id: str
    title: str
    menu: str
    handler: str
    keys: tuple[str, ...] = ()
    args: tuple[Any, ...] = ()
    checkable: bool = False
    group: str | None = None
    separator_before: bool = False
    tip: str = ""
    toolbar: str | None = None
    #: The toolbar button's text when shorter than the title (toolbars overflow at common widths).
    short: str = ""


@dataclass(frozen=True)
class MenuSlot:
    """A submenu the window fills itself (e.g. recent projects), placed among the actions."""

    id: str
    title: str
    menu: str


def _fly(direction: str, title: str, key: str, vector: tuple[int, int, int]) -> ActionSpec:
    return ActionSpec(
        f"view.fly_{direction}",
        title,
        "&View/&Fly",
        "fly",
        keys=(key, f"Shift+{key}", f"Ctrl+{key}"),
        args=vector,
        tip="Shift: 4x faster, Ctrl: 4x slower",
    )


def merged_sweep_actions() -> tuple[ActionSpec, ...]:
    """View > Merged sweeps: how many sweeps on each side of the current one are merged (world frame)."""
    menu = "&View/&Merged sweeps"
    choices = [
        (0, "&Off"),
        (1, "&1 on each side (3 sweeps)"),
        (2, "&2 on each side (5 sweeps)"),
        (5, "&5 on each side (11 sweeps)"),
    ]
    return (
        ActionSpec("view.merged_toggle", "Merged sweeps &on / off", menu, "merged.toggle", keys=("Alt+W",), tip="the last choice, else 5 on each side"),
        *(
            ActionSpec(f"view.merged.{radius}", title, menu, "merged.set_radius", args=(radius,), checkable=True, group="merged", separator_before=radius == 0)
            for radius, title in choices
        ),
    )  # fmt: skip


def default_actions(with_formats: bool = True) -> tuple[ActionSpec | MenuSlot, ...]:
    """The application's actions in menu order (``with_formats``: dataset import and label export)."""
    file_items: list[ActionSpec | MenuSlot] = [
        ActionSpec("file.new", "&New project...", "&File", "ask_new_project", keys=("std:New",)),
        ActionSpec("file.open", "&Open project...", "&File", "ask_open_project", keys=("std:Open",)),
        MenuSlot("file.recent", "Open &recent", "&File"),
    ]
    if with_formats:
        file_items += [
            ActionSpec(
                "file.import", "&Import dataset...", "&File", "ask_import_dataset", separator_before=True
            ),
            ActionSpec("file.export", "&Export labels...", "&File", "ask_export_labels"),
        ]
    file_items.append(
        ActionSpec("file.quit", "&Quit", "&File", "close", keys=("std:Quit", "Ctrl+Q"), separator_before=True)
    )
    color_modes = [
        ActionSpec(
            f"view.color.{mode}",
            COLOR_MODE_TITLES[mode].split(" (")[0],
            "&View/&Colour points by",
            "set_color_mode",
            keys=(f"Ctrl+{position}",),
            args=(mode,),
            checkable=True,
            group="color",
        )
        for position, mode in enumerate(COLOR_MODES, start=1)
    ]
    backgrounds = [
        ActionSpec(
            f"view.background.{name}",
            name.capitalize(),
            "&View/&Background",
            "set_background",
            args=(name,),
            checkable=True,
            group="background",
        )
        for name in BACKGROUNDS
    ]
    return (
        *file_items,
        ActionSpec("edit.undo", "&Undo", "&Edit", "undo", keys=("std:Undo",)),
        ActionSpec("edit.redo", "&Redo", "&Edit", "redo", keys=("std:Redo", "Ctrl+Y")),
        ActionSpec("edit.deselect", "&Clear selection", "&Edit", "clear_selection", keys=("Esc",), separator_before=True),
        ActionSpec("frame.next", "&Next frame", "F&rame", "step_frame", keys=("N", "PgDown"), args=(1,)),
        ActionSpec("frame.previous", "&Previous frame", "F&rame", "step_frame", keys=("P", "PgUp"), args=(-1,)),
        ActionSpec("frame.first", "&First frame", "F&rame", "go_to_end", keys=("Ctrl+PgUp",), args=(False,)),
        ActionSpec("frame.last", "&Last frame", "F&rame", "go_to_end", keys=("Ctrl+PgDown",), args=(True,)),
        ActionSpec("frame.verified", "Mark frame &verified", "F&rame", "mark_frame_verified", keys=("Ctrl+Return", "Ctrl+Enter"), separator_before=True, tip="toggles; verified frames are training labels"),
        ActionSpec("frame.release_lease", "Release frame &lease (lead)", "F&rame", "leases.force_release", tip="shared projects: clear whoever holds the current frame's lease, then take it"),
        ActionSpec("view.reset", "&Reset camera", "&View", "reset_camera", keys=("Home",)),
        ActionSpec("view.bird_eye", "&Bird's-eye view", "&View", "bird_eye", keys=("B",)),
        ActionSpec("view.focus", "&Focus selected object", "&View", "focus_selected", keys=("Z", ".")),
        _fly("forward", "Forward", "W", (1, 0, 0)),
        _fly("back", "Back", "S", (-1, 0, 0)),
        _fly("left", "Left", "A", (0, -1, 0)),
        _fly("right", "Right", "D", (0, 1, 0)),
        _fly("up", "Up", "R", (0, 0, 1)),
        _fly("down", "Down", "F", (0, 0, -1)),
        *color_modes,
        ActionSpec("view.point_larger", "&Larger points", "&View", "change_point_size", keys=("]",), args=(1,), separator_before=True),
        ActionSpec("view.point_smaller", "&Smaller points", "&View", "change_point_size", keys=("[",), args=(-1,)),
        *backgrounds,
        ActionSpec("view.grid", "Ground &grid", "&View", "set_option", keys=("G",), args=("show_grid",), checkable=True, separator_before=True),
        ActionSpec("view.rings", "Range r&ings", "&View", "set_option", keys=("O",), args=("show_rings",), checkable=True),
        ActionSpec("view.labels", "Cuboid &labels", "&View", "set_option", keys=("L",), args=("show_labels",), checkable=True),
        ActionSpec(
            "view.highlight", "&Highlight points inside cuboids", "&View", "set_option", keys=("H",),
            args=("highlight_inside",), checkable=True,
        ),
        ActionSpec("view.color_bar", "Colour &bar", "&View", "set_option", args=("show_color_bar",), checkable=True),
        *merged_sweep_actions(),
        ActionSpec("view.reset_layout", "Reset window la&yout", "&View", "reset_layout", separator_before=True),
        *model_actions(),
        *tool_actions(),
        *cuboid_actions(),
        *track_actions(),
        *image_actions(),
        *team_actions(),
    )  # fmt: skip


def team_actions() -> tuple[ActionSpec, ...]:
    """The Team menu: the consensus view of two annotators' boxes and the reviewer's sign-off."""
    menu = "Tea&m"
    return (
        ActionSpec("team.consensus", "&Consensus view", menu, "show_consensus", keys=("Ctrl+Alt+C",), tip="two annotators' disagreements on this frame"),
        ActionSpec("team.next_disagreement", "&Next disagreement", menu, "consensus.select_next", keys=("Ctrl+Alt+N",)),
        ActionSpec("team.keep_first", "Keep the &first annotator's box", menu, "consensus.keep", keys=("Ctrl+Alt+1",), args=(0,), separator_before=True),
        ActionSpec("team.keep_second", "Keep the &second annotator's box", menu, "consensus.keep", keys=("Ctrl+Alt+2",), args=(1,)),
        ActionSpec("team.keep_both", "Keep &both boxes", menu, "consensus.keep_both", keys=("Ctrl+Alt+3",)),
        ActionSpec("team.delete", "&Delete the object's boxes", menu, "consensus.delete"),
        ActionSpec("team.signoff", "Sign &off frame", menu, "consensus.sign_off", keys=("Ctrl+Alt+S",), separator_before=True, tip="toggles; recorded with your name, the time and the agreement score"),
    )  # fmt: skip


def tool_actions() -> tuple[ActionSpec, ...]:
    """The Tools menu and toolbar: mouse tools for creating and editing cuboids (``mouse_tools`` handlers)."""
    menu, bar = "T&ools", "Tools"
    return (
        ActionSpec("tools.select", "&Select / edit", menu, "mouse_tools.choose_tool", keys=("M",), args=("select",), checkable=True, group="tool", toolbar=bar, tip="drag the selected box to move it, its edges or corners to resize, the knob to turn"),
        ActionSpec("tools.click_fit", "&Click fit", menu, "mouse_tools.choose_tool", keys=("Shift+N",), args=("click_fit",), checkable=True, group="tool", toolbar=bar, tip="click an object's points to fit a box"),
        ActionSpec("tools.rectangle", "&Rectangle fit", menu, "mouse_tools.choose_tool", keys=("Shift+B",), args=("rectangle",), checkable=True, group="tool", toolbar=bar, tip="drag a rectangle in the top view"),
        ActionSpec("tools.place", "&Place on ground", menu, "mouse_tools.choose_tool", keys=("Shift+P",), args=("place",), checkable=True, group="tool", toolbar=bar, tip="click: a box of the class's default size"),
        ActionSpec("tools.snap_ground", "Snap to &ground", menu, "mouse_tools.snap_to_ground", keys=("Shift+G",), separator_before=True, toolbar=bar, tip="the selected box's bottom onto the local ground"),
    )  # fmt: skip


def model_actions() -> tuple[ActionSpec, ...]:
    """The Models menu: pre-annotation with a plugin, the review of its proposals, uncertainty scoring."""
    menu = "&Models"
    return (
        ActionSpec("models.preannotate_frame", "Pre-annotate &frame...", menu, "preannotation.ask_frame", keys=("Ctrl+M",), toolbar="Models", short="Pre-annotate"),
        ActionSpec("models.preannotate_all", "Pre-annotate &all frames...", menu, "preannotation.ask_all", keys=("Ctrl+Shift+M",), toolbar="Models", short="Pre-annotate all"),
        ActionSpec("models.cancel", "&Cancel pre-annotation", menu, "preannotation.cancel"),
        ActionSpec("models.accept", "A&ccept proposal", menu, "review.accept_selected", keys=("Return", "Enter"), separator_before=True, toolbar="Models", short="Accept", tip="then the next proposal is selected"),
        ActionSpec("models.reject", "&Reject proposal", menu, "review.reject_selected", keys=("X",), toolbar="Models", short="Reject", tip="then the next proposal is selected"),
        ActionSpec("models.next_proposal", "&Next proposal", menu, "review.select_next", keys=("J",)),
        ActionSpec("models.accept_above", "Accept all a&bove threshold...", menu, "review.ask_accept_above", keys=("Ctrl+Shift+A",), toolbar="Models", short="Accept above..."),
        ActionSpec("models.score", "Score &uncertainty...", menu, "scoring.ask", keys=("Ctrl+Alt+U",), separator_before=True, toolbar="Models", short="Score", tip="K passes per frame: ensemble, MC dropout or test-time augmentation"),
        ActionSpec("models.score_again", "Score this frame a&gain", menu, "scoring.score_again", keys=("Ctrl+Alt+Shift+U",), tip="with the plugin and settings chosen last, no dialog: after Propagate all cuboids to next frame (Ctrl+Shift+P), the carried boxes are checked and the new objects proposed"),
        ActionSpec("models.confirm_standing", "Confirm s&tanding carried boxes", menu, "standing.set_confirm", checkable=True, tip="scoring confirms a carried box the model does not box where it stands where its track's box, confirmed by a person or the model, stood on the frame before (for one frame)"),
        ActionSpec("models.next_uncertain", "Next uncertain bo&x", menu, "review_queue.step", keys=("U",), args=(1,), tip="the flagged boxes, most uncertain first, across frames"),
        ActionSpec("models.previous_uncertain", "Previous uncertain box", menu, "review_queue.step", keys=("Shift+U",), args=(-1,)),
        ActionSpec("models.accept_confident", "Accept all c&onfident in this frame", menu, "review_queue.accept_confident", keys=("Ctrl+Alt+A",), toolbar="Models", short="Accept confident", tip="every unreviewed scored proposal of the frame below the flag threshold, one step"),
        ActionSpec("models.accept_confident_all", "Accept all confident in all frames", menu, "review_queue.accept_confident", keys=("Ctrl+Alt+Shift+A",), args=(True,), tip="one step; the status bar says how many on which frames"),
        ActionSpec("models.finetune", "&Fine-tune now", menu, "training.start_now", keys=("Ctrl+Alt+T",), separator_before=True, tip="the plugin and options chosen in the Training panel, in a child process"),
        ActionSpec("models.cancel_finetune", "Cancel fine-&tuning", menu, "training.cancel"),
        ActionSpec("models.rescore_stale", "Re-&score stale frames", menu, "training.rescore_stale", tip="proposals made by another model version, again with the current one"),
        ActionSpec("models.model_cards", "Model car&ds...", menu, "preannotation.show_model_cards", tip="the weights each plugin ships: data, training, measured quality"),
        ActionSpec("models.distill", "&Distil student...", menu, "distillation.ask", separator_before=True, tip="train a compact pointpillars student from the ensemble's averaged outputs, in a child process"),
        ActionSpec("models.cancel_distill", "Cancel d&istillation", menu, "distillation.cancel", tip="finished epochs are kept: the next run resumes"),
        *model_variant_actions(),
    )  # fmt: skip


def model_variant_actions() -> tuple[ActionSpec, ...]:
    """Models > Model version: the form of the pointpillars model pre-annotation and scoring use."""
    menu = "&Models/Model &version"
    titles = {
        "fp32": "&fp32 (as trained)",
        "int8-static": "&int8-static (whole network in int8)",
        "fp16-gpu": "fp16 on the &GPU",
        "pruned": "&pruned (half the channels)",
        "student": "&student (distilled from the ensemble)",
        "student-real": "student-&real (distilled on verified real sweeps too)",
    }
    return (
        *(ActionSpec(f"models.variant.{name}", title, menu, "variants.choose", args=(name,), checkable=True, group="variant")
          for name, title in titles.items()),
        ActionSpec("models.variant_card", "&Card of the chosen version...", menu, "variants.show_card", separator_before=True),
    )  # fmt: skip


def image_actions() -> tuple[ActionSpec, ...]:
    """The Image menu: cameras, the points overlay and 2D boxes (handlers on the image panel)."""
    menu = "&Image"
    return (
        ActionSpec("image.next_camera", "&Next camera", menu, "images.step_camera", keys=("C",), args=(1,)),
        ActionSpec("image.previous_camera", "&Previous camera", menu, "images.step_camera", keys=("Shift+C",), args=(-1,)),
        ActionSpec("image.fit", "&Fit image", menu, "images.fit", keys=("Ctrl+0",)),
        ActionSpec("image.points", "LiDAR p&oints in images", menu, "images.set_points_visible", keys=("I",), checkable=True),
        ActionSpec("image.derive_frame", "&Derive 2D boxes from cuboids", menu, "images.derive_frame", keys=("Ctrl+Alt+D",), separator_before=True),
        ActionSpec("image.derive_all", "Derive 2D boxes in &all frames", menu, "images.derive_all", keys=("Ctrl+Alt+Shift+D",)),
        ActionSpec("image.link", "&Link 2D box to its cuboid", menu, "images.link_selected", keys=("K",), tip="the cuboid whose projection overlaps the box most"),
        ActionSpec("image.delete", "D&elete 2D box", menu, "images.delete_selected", tip="or Delete in the image"),
    )  # fmt: skip


#: Keyboard step sizes: metres for moves and resizes, degrees for turns; (normal, fine with Shift).
MOVE_STEP, RESIZE_STEP, YAW_STEP, TILT_STEP = (0.1, 0.02), (0.1, 0.02), (2.0, 0.5), 1.0


def _stepped(
    id_: str, title: str, menu: str, handler: str, key: str, args: tuple[Any, ...], fine_args: tuple[Any, ...]
) -> tuple[ActionSpec, ActionSpec]:
    """An action and its fine-step twin (the same key with Shift)."""
    fine_key = f"Shift+{key}" if "+" not in key else key.replace("+", "+Shift+", 1)
    return (
        ActionSpec(id_, title, menu, handler, keys=(key,), args=args),
        ActionSpec(
            f"{id_}_fine", f"{title} (fine)", f"{menu}/&Fine steps", handler, keys=(fine_key,), args=fine_args
        ),
    )


def cuboid_actions() -> tuple[ActionSpec, ...]:
    """The Cuboid menu: keyboard editing of the selected cuboid (handlers on the window's ``editing``)."""
    menu, (m, mf), (r, rf), (y, yf) = "C&uboid", MOVE_STEP, RESIZE_STEP, YAW_STEP
    moves = [
        ("forward", "Forward", "Up", (1, 0, 0)),
        ("back", "Back", "Down", (-1, 0, 0)),
        ("left", "Left", "Left", (0, 1, 0)),
        ("right", "Right", "Right", (0, -1, 0)),
        ("up", "Up", "Ctrl+Up", (0, 0, 1)),
        ("down", "Down", "Ctrl+Down", (0, 0, -1)),
    ]
    sizes = [
        ("longer", "Longer", "Alt+Up", "length", 1),
        ("shorter", "Shorter", "Alt+Down", "length", -1),
        ("wider", "Wider", "Alt+Right", "width", 1),
        ("narrower", "Narrower", "Alt+Left", "width", -1),
        ("taller", "Taller", "Alt+PgUp", "height", 1),
        ("lower", "Lower", "Alt+PgDown", "height", -1),
    ]
    specs: list[ActionSpec] = []
    for name, title, key, v in moves:
        specs += _stepped(
            f"cuboid.move_{name}",
            title,
            f"{menu}/&Move",
            "editing.move",
            key,
            tuple(c * m for c in v),
            tuple(c * mf for c in v),
        )
    for name, title, key, sign in (("yaw_left", "Turn left", "Q", 1), ("yaw_right", "Turn right", "E", -1)):
        specs += _stepped(
            f"cuboid.{name}", title, f"{menu}/&Rotate", "editing.turn", key, (sign * y,), (sign * yf,)
        )
    t = TILT_STEP
    specs += [
        ActionSpec(
            "cuboid.pitch_up",
            "Pitch nose up (9-DoF)",
            f"{menu}/&Rotate",
            "editing.turn",
            keys=("Ctrl+Alt+Up",),
            args=(0.0, -t, 0.0),
            separator_before=True,
        ),
        ActionSpec(
            "cuboid.pitch_down",
            "Pitch nose down (9-DoF)",
            f"{menu}/&Rotate",
            "editing.turn",
            keys=("Ctrl+Alt+Down",),
            args=(0.0, t, 0.0),
        ),
        ActionSpec(
            "cuboid.roll_left",
            "Roll left (9-DoF)",
            f"{menu}/&Rotate",
            "editing.turn",
            keys=("Ctrl+Alt+Left",),
            args=(0.0, 0.0, -t),
        ),
        ActionSpec(
            "cuboid.roll_right",
            "Roll right (9-DoF)",
            f"{menu}/&Rotate",
            "editing.turn",
            keys=("Ctrl+Alt+Right",),
            args=(0.0, 0.0, t),
        ),
        ActionSpec(
            "cuboid.quarter_turn",
            "Turn 90° (swap length and width)",
            f"{menu}/&Rotate",
            "editing.quarter",
            keys=("T",),
            separator_before=True,
        ),
        ActionSpec("cuboid.flip", "Flip heading 180°", f"{menu}/&Rotate", "editing.flip", keys=("Shift+T",)),
    ]
    for name, title, key, dimension, sign in sizes:
        specs += _stepped(
            f"cuboid.{name}",
            title,
            f"{menu}/Re&size",
            "editing.grow",
            key,
            (dimension, sign * r),
            (dimension, sign * rf),
        )
    specs += [
        ActionSpec(
            "cuboid.fit",
            "&Fit to points",
            menu,
            "editing.fit_to_points",
            keys=("Ctrl+Shift+F",),
            separator_before=True,
            tip="shrink to the points inside, keeping the heading",
        ),
        ActionSpec(
            "cuboid.auto_rotate",
            "&Auto-rotate",
            menu,
            "editing.auto_rotate",
            keys=("Ctrl+Shift+R",),
            tip="the heading that fits the points inside best",
        ),
        ActionSpec(
            "cuboid.next",
            "Select &next cuboid",
            menu,
            "editing.cycle",
            keys=("Tab",),
            args=(1,),
            separator_before=True,
        ),
        ActionSpec(
            "cuboid.previous",
            "Select &previous cuboid",
            menu,
            "editing.cycle",
            keys=("Shift+Tab",),
            args=(-1,),
        ),
        ActionSpec("cuboid.duplicate", "D&uplicate", menu, "editing.duplicate", keys=("Alt+D",)),
        ActionSpec(
            "cuboid.same_size",
            "&Same size as the first selected",
            menu,
            "editing.same_size",
            keys=("Alt+S",),
            tip="Ctrl+click boxes (or Ctrl+drag a band in the top view) first",
        ),
        ActionSpec("cuboid.delete", "&Delete", menu, "editing.delete", keys=("Del", "Backspace")),
        *(
            ActionSpec(
                f"cuboid.class_{n}",
                f"Class {n} of the schema",
                f"{menu}/&Class",
                "editing.set_class",
                keys=(str(n),),
                args=(n,),
            )
            for n in range(1, 10)
        ),
        ActionSpec(
            "cuboid.nine_dof",
            "9-&DoF cuboids (pitch and roll)",
            menu,
            "editing.set_nine_dof",
            checkable=True,
            separator_before=True,
        ),
        ActionSpec(
            "edit.shortcuts", "&Keyboard shortcuts...", "&Edit", "shortcuts.ask", separator_before=True
        ),
    ]
    return tuple(specs)


def track_actions() -> tuple[ActionSpec, ...]:
    """The Tracks menu: copy/propagate to the next frame, interpolation, consistency (``tracks`` handlers)."""
    menu = "&Tracks"
    return (
        ActionSpec("tracks.copy", "&Copy cuboid to next frame", menu, "tracks.copy", keys=("Ctrl+K",), args=(False,)),
        ActionSpec("tracks.copy_all", "Copy &all cuboids to next frame", menu, "tracks.copy", keys=("Ctrl+Shift+K",), args=(True,)),
        ActionSpec("tracks.propagate", "&Propagate cuboid to next frame", menu, "tracks.propagate", keys=("Ctrl+P",), args=(False,), separator_before=True, tip="constant velocity from the two previous frames"),
        ActionSpec("tracks.propagate_all", "Propagate all c&uboids to next frame", menu, "tracks.propagate", keys=("Ctrl+Shift+P",), args=(True,)),
        ActionSpec("tracks.propagate_forward", "Propagate for&ward, frame by frame (Esc stops)", menu, "propagation.start", keys=("Ctrl+Alt+P",), args=(False,), tip="the selected boxes' tracks through the following frames, each shown as it goes; stop, correct the box, run it again to resume"),
        ActionSpec("tracks.propagate_forward_all", "Propagate all tracks forward, frame by frame", menu, "propagation.start", keys=("Ctrl+Alt+Shift+P",), args=(True,)),
        ActionSpec("tracks.propagate_stop", "S&top propagation", menu, "propagation.stop", tip="or Esc, or Stop in the status bar"),
        ActionSpec("tracks.copy_previous", "Copy &from previous frame", menu, "tracks.copy_from_previous", keys=("Ctrl+Alt+K",), tip="the previous frame's cuboids into this one, e.g. on an empty frame"),
        ActionSpec("tracks.set_keyframe", "Set &keyframe (track timeline)", menu, "timeline.set_keyframe", keys=("Alt+K",), separator_before=True, tip="the selected track's box in this frame becomes a keyframe; made from its neighbours where there is none"),
        ActionSpec("tracks.clear_keyframe", "C&lear keyframe (track timeline)", menu, "timeline.clear_keyframe", keys=("Alt+Shift+K",), tip="interpolated between the keyframes around it, else removed"),
        ActionSpec("tracks.refit", "&Re-fit propagated boxes to the points", menu, "tracks.set_refit", checkable=True),
        ActionSpec("tracks.interpolate", "&Interpolate track between keyframes", menu, "tracks.interpolate", keys=("Ctrl+I",), separator_before=True),
        ActionSpec("tracks.harmonize", "&Make track consistent (class and size of this cuboid)", menu, "tracks.harmonize", keys=("Ctrl+Shift+H",)),
        ActionSpec("tracks.link", "&Link proposals into tracks", menu, "tracks.link_proposals", tip="every frame's model proposals linked across the sequence by the tracker (world frame with poses); Pre-annotate all frames does it after its run"),
        ActionSpec("tracks.static", "Mark track &static / moving (static: edit one box, edit all in the world)", menu, "tracks.toggle_static", tip="a static object stays put in the world: propagation carries it with the ego motion only"),
        ActionSpec("tracks.strip", "Track strip (&batch view of the selected track)", menu, "show_track_strip", keys=("Ctrl+Alt+B",), separator_before=True, tip="the track's top and side crops over its frames, editable; a size change applies to the whole track"),
    )  # fmt: skip


def _handler(target: QObject, path: str) -> Any:
    """The method ``path`` names on ``target`` (dotted: through its attributes)."""
    owner: Any = target
    for name in path.split("."):
        owner = getattr(owner, name)
    return owner


def key_sequences(keys: Iterable[str]) -> list[QKeySequence]:
    """Qt key sequences for portable strings and ``std:Name`` standard keys."""
    sequences: list[QKeySequence] = []
    for key in keys:
        if key.startswith("std:"):
            found = QKeySequence.keyBindings(getattr(QKeySequence.StandardKey, key[4:]))
        else:
            found = [QKeySequence(key)]
        sequences += [sequence for sequence in found if sequence not in sequences]
    return sequences


def build_actions(target: QObject, specs: Sequence[ActionSpec | MenuSlot]) -> dict[str, QAction]:
    """QActions (parented to ``target``) calling ``target``'s handler methods, keyed by id."""
    actions: dict[str, QAction] = {}
    groups: dict[str, QActionGroup] = {}
    for spec in specs:
        if not isinstance(spec, ActionSpec):
            continue
        action = QAction(spec.title, target)
        action.setObjectName(spec.id)
        action.setShortcuts(key_sequences(spec.keys))
        if spec.short:
            action.setIconText(spec.short)
        if spec.tip:
            action.setToolTip(f"{spec.title.replace('&', '')} ({spec.tip})")
            action.setStatusTip(spec.tip)
        handler = _handler(target, spec.handler)
        if spec.checkable:
            action.setCheckable(True)
            action.toggled.connect(lambda checked, h=handler, a=spec.args: h(*a, checked))
        else:
            action.triggered.connect(lambda _=False, h=handler, a=spec.args: h(*a))
        if spec.group is not None:
            group = groups.get(spec.group)
            if group is None:
                group = groups[spec.group] = QActionGroup(target)
                group.setExclusive(True)
            group.addAction(action)
        actions[spec.id] = action
    return actions


def build_menus(
    menubar: QMenuBar, specs: Sequence[ActionSpec | MenuSlot], actions: dict[str, QAction]
) -> dict[str, QMenu]:
    """Menus (``"&View/&Fly"`` makes a submenu) holding the actions in order; slots become empty menus.

    Returns the menus by path and the slot menus by slot id.
    """
    menus: dict[str, QMenu] = {}

    def menu_for(path: str) -> QMenu:
        if path not in menus:
            parent, _, title = path.rpartition("/")
            menus[path] = menu_for(parent).addMenu(title) if parent else menubar.addMenu(title)
        return menus[path]

    for spec in specs:
        menu = menu_for(spec.menu)
        if isinstance(spec, MenuSlot):
            menus[spec.id] = menu.addMenu(spec.title)
            continue
        if spec.separator_before:
            menu.addSeparator()
        menu.addAction(actions[spec.id])
    return menus


def build_toolbars(
    window: QMainWindow, specs: Sequence[ActionSpec | MenuSlot], actions: dict[str, QAction]
) -> dict[str, QToolBar]:
    """Toolbars (by name) holding the actions that name one, in registry order."""
    toolbars: dict[str, QToolBar] = {}
    for spec in specs:
        if isinstance(spec, ActionSpec) and spec.toolbar:
            if spec.toolbar not in toolbars:
                toolbar = toolbars[spec.toolbar] = window.addToolBar(spec.toolbar)
                toolbar.setObjectName(f"toolbar-{spec.toolbar.lower()}")
            toolbars[spec.toolbar].addAction(actions[spec.id])
    return toolbars


def shortcut_rows(specs: Sequence[ActionSpec | MenuSlot]) -> list[tuple[str, str, str]]:
    """(menu, action, keys) for every action with keys: the README's shortcut table."""
    rows = []
    for spec in specs:
        if isinstance(spec, ActionSpec) and spec.keys:
            keys = ", ".join(
                sequence.toString(QKeySequence.SequenceFormat.NativeText)
                for sequence in key_sequences(spec.keys)
            )
            menu = spec.menu.replace("&", "").replace("/", " > ")
            rows.append((menu, spec.title.replace("&", "").rstrip("."), keys))
    return rows
