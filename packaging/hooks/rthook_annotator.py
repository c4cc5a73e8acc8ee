"""Run-time hook of the bundle: plugins installed beside it are found like plugins in a virtual environment,
and bundled paddle finds its libraries.

- ``<bundle>/site-packages``: ``pip install --target <bundle>/site-packages --no-deps PLUGIN`` puts a plugin
  package there; its ``annotator.plugins`` entry point is then discovered.
- ``<bundle>/plugins/<name>/manifest.json``: drop-in plugin folders (added to ``$ANNOTATOR_PLUGIN_PATH``).
- bundled paddle loads MKL (``libmklml_intel.so``) by name at run time, found in a virtual environment
  through the site-packages paths; in the bundle it is told the folder (``FLAGS_mklml_dir``).
"""

import os
import site
import sys

_bundle = os.path.dirname(sys.executable)
_packages = os.path.join(_bundle, "site-packages")
if os.path.isdir(_packages):
    site.addsitedir(_packages)
_dropins = os.path.join(_bundle, "plugins")
if os.path.isdir(_dropins):
    _path = os.environ.get("ANNOTATOR_PLUGIN_PATH", "")
    os.environ["ANNOTATOR_PLUGIN_PATH"] = os.pathsep.join(p for p in (_dropins, _path) if p)
_contents = getattr(sys, "_MEIPASS", None)
_paddle_libs = os.path.join(_contents or "", "paddle", "libs")
if _contents and os.path.isdir(_paddle_libs):
    os.environ.setdefault("FLAGS_mklml_dir", _paddle_libs)
