"""What can be checked of the desktop bundle without building it (the build takes minutes; it runs as a
scheduled/manual check, see the README's Packaging section): the spec and hooks bundle every first-party
module, the plugin entry points and each data file, leave out only what annotator never imports, and the
run-time hook finds plugins installed beside the bundle."""

from __future__ import annotations

import ast
import configparser
import re
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


@pytest.fixture(scope="module")
def contents():
    sys.path.insert(0, str(PACKAGING))
    try:
        import bundle_contents
    finally:
        sys.path.remove(str(PACKAGING))
    return bundle_contents


def test_the_spec_compiles_and_names_files_that_exist() -> None:
    spec = (PACKAGING / "annotator.spec").read_text()
    compile(spec, "annotator.spec", "exec")
    for name in ("launcher.py", "hooks", "annotator.desktop", "annotator.png"):
        assert f'"{name}"' in spec and (PACKAGING / name).exists(), name
    hooks = {p.name for p in (PACKAGING / "hooks").iterdir()}
    assert {"hook-annotator.py", "hook-plugins.py", "hook-paddle.py", "rthook_annotator.py"} <= hooks


def test_every_plugin_entry_point_lies_in_a_bundled_package(contents) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    points = pyproject["project"]["entry-points"]["annotator.plugins"]
    assert points and all(value.split(".")[0] in contents.FIRST_PARTY for value in points.values())
    assert pyproject["project"]["name"] in contents.METADATA  # whose entry_points.txt lists them


def test_every_data_file_of_the_packages_is_collected(contents) -> None:
    for package in contents.FIRST_PARTY:
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
                assert any(fnmatch(path.name, p) for p in contents.DATA_PATTERNS), path
    templates = list((ROOT / "annotator" / "ml" / "authoring" / "templates").glob("*.tmpl"))
    assert len(templates) >= 10


def test_no_first_party_module_needs_what_the_bundle_leaves_out(contents, monkeypatch) -> None:
    monkeypatch.delenv("ANNOTATOR_BUNDLE_ML", raising=False)
    excluded = set(contents.excludes())
    assert {"open3d", "torch", "paddle"} <= excluded
    for package in contents.FIRST_PARTY:
        # a plugin's own modules may import its framework (without it the plugin is listed as unavailable)
        forbidden = excluded - set(contents.ML_FRAMEWORKS) if package == "plugins" else excluded
        for path in (ROOT / package).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            if any(module.startswith(n + ".") for n in contents.NOT_BUNDLED):
                continue
            for node in ast.parse(path.read_text()).body:  # imports at module level (lazy ones are fine)
                names = (
                    [a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                    else []
                )  # fmt: skip
                for name in names:
                    assert not any(name == e or name.startswith(e + ".") for e in forbidden), (path, name)
    monkeypatch.setenv("ANNOTATOR_BUNDLE_ML", "1")
    assert "torch" not in contents.excludes() and "open3d" in contents.excludes()


def test_the_desktop_file_starts_the_annotator_with_its_icon() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(PACKAGING / "annotator.desktop")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Exec"].split()[0] == "annotator"
    assert entry["Icon"] == "annotator" and entry["Terminal"] == "false"
    from PIL import Image

    with Image.open(PACKAGING / "annotator.png") as icon:
        assert icon.size == (256, 256)


def run_runtime_hook(pretend: str, prints: str, argument: Path, env: dict[str, str]) -> list[str]:
    """Run the bundle's run-time hook in a fresh interpreter after ``pretend`` (e.g. setting
    ``sys._MEIPASS = sys.argv[1]``, with ``argument`` as argv[1]); the lines ``prints`` wrote."""
    probe = (
        f"import os, runpy, sys; {pretend}; "
        f"runpy.run_path({str(PACKAGING / 'hooks' / 'rthook_annotator.py')!r}); {prints}"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(argument)],
        capture_output=True, text=True, check=True, env={"PATH": "/usr/bin", **env},
    )  # fmt: skip
    return result.stdout.splitlines()


def test_the_runtime_hook_finds_plugins_installed_beside_the_bundle(tmp_path) -> None:
    (tmp_path / "site-packages").mkdir()
    (tmp_path / "plugins").mkdir()
    site_packages, plugin_path = run_runtime_hook(
        "sys.executable = sys.argv[1]",
        "print(sys.path[-1]); print(os.environ['ANNOTATOR_PLUGIN_PATH'])",
        tmp_path / "annotator",
        {"ANNOTATOR_PLUGIN_PATH": "/elsewhere"},
    )
    assert site_packages == str(tmp_path / "site-packages")
    assert plugin_path.split(":") == [str(tmp_path / "plugins"), "/elsewhere"]


def test_the_runtime_hook_shows_bundled_paddle_its_libraries(tmp_path) -> None:
    (tmp_path / "_internal" / "paddle" / "libs").mkdir(parents=True)
    (mkl_dir,) = run_runtime_hook(
        "sys._MEIPASS = sys.argv[1]", "print(os.environ['FLAGS_mklml_dir'])", tmp_path / "_internal", {}
    )
    assert mkl_dir == str(tmp_path / "_internal" / "paddle" / "libs")  # where MKL lies


def test_the_bundle_check_runs_every_cli_command() -> None:
    from annotator.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    script = (PACKAGING / "check_bundle.sh").read_text()
    missing = [c for c in commands if not re.search(rf"(step|bare|annotator\") {re.escape(c)}[ ;]", script)]
    assert not missing  # add the new command to packaging/check_bundle.sh
    assert "bash packaging/check_bundle.sh" in (PACKAGING / "build.sh").read_text()


def test_build_outputs_are_ignored_by_git() -> None:
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "dist/" in ignored and "build/" in ignored
