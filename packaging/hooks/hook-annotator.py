"""PyInstaller hook of the annotator package: all submodules, package data and the distribution metadata
(its ``annotator.plugins`` entry points name the first-party plugins)."""

from bundle_contents import DATA_PATTERNS, METADATA, NOT_BUNDLED
from PyInstaller.utils.hooks import collect_data_files, collect_submodules, copy_metadata

hiddenimports = collect_submodules(
    "annotator", filter=lambda name: not any(name == n or name.startswith(n + ".") for n in NOT_BUNDLED)
)
datas = collect_data_files("annotator", includes=[f"**/{p}" for p in DATA_PATTERNS])
for distribution in METADATA:
    datas += copy_metadata(distribution)
