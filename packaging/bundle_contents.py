"""What the PyInstaller bundle must hold beyond what import analysis finds (read by the spec and the hooks,
and checked by tests/packaging without building).

- every module of ``annotator`` and the first-party ``plugins`` (plugins are imported by entry-point strings
  and many modules lazily inside functions, which analysis cannot see);
- package data: the plugin kit's templates, any model weights or cards shipped beside a plugin;
- the ``annotator`` distribution's metadata, whose ``annotator.plugins`` entry points list the first-party
  plugins (``importlib.metadata`` reads them at run time);
- nothing of open3d (a dependency that annotator never imports) or of the tools' test stacks; torch and
  paddle only when ``ANNOTATOR_BUNDLE_ML=1`` (they add ~1.5 GB; without them the torch/paddle plugins are
  listed as unavailable, with the reason).
"""

from __future__ import annotations

import os

#: Packages whose every submodule is bundled ...
FIRST_PARTY = ("annotator", "plugins")
#: ... except these (the conformance suite is for plugins' own tests: it needs pytest).
NOT_BUNDLED = ("annotator.testing",)
#: File patterns of package data to bundle (besides .py).
DATA_PATTERNS = ("*.tmpl", "*.json", "*.npz", "*.pt", "*.pdparams", "*.md", "*.sql", "py.typed")
#: Distributions whose metadata is bundled (entry points, versions).
METADATA = ("annotator",)
#: Never bundled.
EXCLUDES = (
    "open3d", "dash", "plotly", "ipywidgets", "IPython", "jupyter", "notebook", "matplotlib", "pandas",
    "sklearn", "scipy", "pytest", "hypothesis", "_pytest", "tkinter", "PySide6.QtWebEngineCore",
)  # fmt: skip
ML_FRAMEWORKS = ("torch", "torchgen", "paddle")


def bundle_ml() -> bool:
    """True when the build should include torch and paddle (``ANNOTATOR_BUNDLE_ML=1``)."""
    return os.environ.get("ANNOTATOR_BUNDLE_ML", "") not in ("", "0")


def excludes() -> list[str]:
    """Modules the build leaves out."""
    return [*EXCLUDES, *(() if bundle_ml() else ML_FRAMEWORKS)]
