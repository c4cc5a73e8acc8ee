"""Run-time hook of the bundle: plugins installed beside it are found like plugins in a virtual environment,
and bundled paddle finds its libraries.

- ``<bundle>/site-packages``: ``pip install --target <bundle>/site-packages --no-deps PLUGIN`` puts a plugin
  package there; its ``annotator.plugins`` entry point is then discovered.
- ``<bundle>/plugins/<name>/manifest.json``: drop-in plugin folders (added to ``$ANNOTATOR_PLUGIN_PATH``).
- paddle looks for ``paddle/libs`` (MKL, oneDNN) in ``site.getsitepackages()``; in the bundle those lie
  under the bundle's own folder, which is therefore listed first.
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
if _contents and os.path.isdir(os.path.join(_contents, "paddle", "libs")):
    _site_packages = getattr(site, "getsitepackages", lambda: [])
    site.getsitepackages = lambda *args, **kwargs: [_contents, *_site_packages(*args, **kwargs)]
