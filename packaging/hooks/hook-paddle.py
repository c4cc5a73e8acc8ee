"""PyInstaller hook of paddle (used only when ``ANNOTATOR_BUNDLE_ML=1``): its shared libraries (libpaddle,
MKL, oneDNN, libgomp) and data files, which paddle finds relative to its package at run time."""

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs, collect_submodules

binaries = collect_dynamic_libs("paddle")
datas = collect_data_files("paddle", excludes=["**/*.h", "**/include/**", "**/tests/**"])
hiddenimports = collect_submodules("paddle.base") + collect_submodules("paddle.nn")
