"""PyInstaller hook of the first-party plugins: every module (loaded by entry-point strings) and whatever
ships beside them (model cards, weights)."""

from bundle_contents import DATA_PATTERNS
from PyInstaller.utils.hooks import collect_data_files, collect_submodules

hiddenimports = collect_submodules("plugins")
datas = collect_data_files("plugins", includes=[f"**/{p}" for p in DATA_PATTERNS])
