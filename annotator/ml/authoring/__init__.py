"""The plugin authoring kit: `new_plugin` writes a ready plugin package from the templates beside it.

The package holds a manifest (read without importing code), the ``annotator.plugins`` entry point in its
``pyproject.toml``, a model class with a tiny trainable example (a geometric candidate finder and a
prototype classifier in numpy, torch or paddle), and tests that run annotator's conformance suite
(`annotator.testing.plugin_conformance`) on it. The package works as a drop-in folder before it is
installed (``ANNOTATOR_PLUGIN_PATH=<package folder>``) and through its entry point after ``pip install``.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from annotator.core.errors import AnnotatorError
from annotator.ml.manifest import FRAMEWORKS, TASKS, manifest_from_dict

logger = logging.getLogger(__name__)

NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")


@dataclass(frozen=True)
class TaskTemplate:
    """What differs between a 3D and a 2D plugin: classes, their feature-space priors and parameters."""

    classes: tuple[str, ...]
    priors: tuple[tuple[float, ...], ...]
    feature_doc: str
    parameters: tuple[tuple, ...]


#: Parameters as (name, type, default, minimum, maximum, help); every template has the training ones.
TRAINING_PARAMETERS = (
    ("epochs", "int", 100, 1, 10000, "training steps of fit"),
    ("learning_rate", "float", 0.1, 0.0001, 10.0, "step size of fit"),
)

TASK_TEMPLATES = {
    "detect3d": TaskTemplate(
        ("Car", "Pedestrian", "Cyclist"),
        ((4.2, 1.8, 1.5), (0.8, 0.7, 1.75), (1.8, 0.6, 1.7)),
        "length, width, height in metres",
        (
            ("min_height", "float", 0.3, 0.0, 5.0, "points this high above the ground belong to objects (m)"),
            ("cell", "float", 0.4, 0.05, 5.0, "grid cell size for grouping points (m)"),
            ("min_points", "int", 10, 1, 100000, "fewest points of an object"),
        ),
    ),
    "detect2d": TaskTemplate(
        ("Car", "Pedestrian", "Cyclist"),
        ((0.9, 0.5), (0.25, 0.6), (0.4, 0.7)),
        "width and height in hundreds of pixels",
        (
            ("contrast", "int", 60, 1, 765, "colour difference from the background that marks an object"),
            ("cell", "int", 4, 1, 64, "grid cell size for grouping pixels (px)"),
            ("min_cells", "int", 4, 1, 100000, "fewest grid cells of an object"),
        ),
    ),
}

FRAMEWORK_DEPENDENCIES = {"numpy": "", "torch": ', "torch"', "paddle": ', "paddlepaddle"'}


def package_name(plugin_id: str) -> str:
    """The Python package of a plugin id (``my-detector`` -> ``my_detector``)."""
    return plugin_id.replace("-", "_")


def manifest_data(plugin_id: str, task: str, framework: str) -> dict:
    """The manifest a new plugin starts with."""
    template = TASK_TEMPLATES[task]
    return {
        "id": plugin_id,
        "name": _title(plugin_id),
        "version": "0.1.0",
        "task": task,
        "framework": framework,
        "entry": f"{package_name(plugin_id)}.model:Model",
        "classes": list(template.classes),
        "capabilities": ["predict", "fit", "save", "load"],
        "parameters": [
            dict(zip(("name", "type", "default", "minimum", "maximum", "help"), p))
            for p in (*template.parameters, *TRAINING_PARAMETERS)
        ],
        "description": f"{_title(plugin_id)}: a {task} plugin made with `annotator plugin new` ({framework}).",
    }


def new_plugin(
    plugin_id: str, task: str = "detect3d", framework: str = "numpy", out: Path | None = None
) -> Path:
    """Write a plugin package for ``plugin_id`` into ``out`` (default ``./<plugin_id>``); returns it.

    Raises `AnnotatorError` for a bad name, task or framework, or when ``out`` exists and is not empty.
    """
    if not NAME_PATTERN.fullmatch(plugin_id):
        raise AnnotatorError(
            f"plugin name {plugin_id!r}: use lower-case letters, digits and single '-' or '_' "
            "(starting with a letter), e.g. my-detector"
        )
    if task not in TASKS:
        raise AnnotatorError(f"task {task!r}: choose one of {', '.join(TASKS)}")
    if framework not in FRAMEWORKS:
        raise AnnotatorError(f"framework {framework!r}: choose one of {', '.join(FRAMEWORKS)}")
    root = Path(out) if out is not None else Path(plugin_id)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise AnnotatorError(f"{root}: already exists and is not an empty folder")
    manifest = manifest_data(plugin_id, task, framework)
    manifest_from_dict(manifest, "template")  # the kit never writes a manifest annotator would refuse
    package = package_name(plugin_id)
    template = TASK_TEMPLATES[task]
    values = {
        "plugin_id": plugin_id,
        "package": package,
        "title": _title(plugin_id),
        "task": task,
        "framework": framework,
        "framework_dependency": FRAMEWORK_DEPENDENCIES[framework],
        "classes": "(" + ", ".join(json.dumps(name) for name in template.classes) + ")",
        "priors": repr([list(p) for p in template.priors]),
        "feature_doc": template.feature_doc,
    }
    files = {
        "pyproject.toml": "pyproject.toml.tmpl",
        "README.md": "README.md.tmpl",
        f"{package}/__init__.py": "init.py.tmpl",
        f"{package}/model.py": "model.py.tmpl",
        f"{package}/grid.py": "grid.py.tmpl",
        f"{package}/candidates.py": f"candidates_{task}.py.tmpl",
        f"{package}/prototypes.py": f"prototypes_{framework}.py.tmpl",
        "tests/test_conformance.py": "test_conformance.py.tmpl",
        "tests/test_training.py": "test_training.py.tmpl",
    }
    templates = resources.files(__name__).joinpath("templates")
    for target, source in files.items():
        text = Template(templates.joinpath(source).read_text(encoding="utf-8")).substitute(values)
        _write(root / target, text)
    _write(root / package / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    logger.info("wrote plugin %s (%s, %s) to %s", plugin_id, task, framework, root)
    return root


def _title(plugin_id: str) -> str:
    return re.sub(r"[-_]+", " ", plugin_id).capitalize()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
