"""`annotator new/info/add-frames/--version`: clear one-line errors, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from annotator import __version__
from annotator.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "annotator.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_new_then_info_on_a_fresh_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", str(tmp_path / "p")]) == 0
    assert main(["info", str(tmp_path / "p"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert summary["frames"] == 0 and summary["annotations"] == 0


def test_add_frames_registers_clouds_and_matches_images_by_stem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for stem in ("000000", "000001"):
        np.zeros((10, 4), np.float32).tofile(data / f"{stem}.bin")
    (data / "000001.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    main(["new", str(tmp_path / "p")])
    assert main(["add-frames", str(tmp_path / "p"), *(str(p) for p in sorted(data.iterdir()))]) == 0
    capsys.readouterr()
    main(["info", str(tmp_path / "p"), "--json"])
    assert json.loads(capsys.readouterr().out)["frames"] == 2


def test_info_on_a_directory_that_is_not_a_project_fails_cleanly(tmp_path: Path) -> None:
    result = run_cli("info", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().startswith("annotator: error:")
    assert "not an annotator project" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_info_on_a_corrupt_database_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "annotator.sqlite").write_text("garbage" * 200)
    result = run_cli("info", str(tmp_path))
    assert result.returncode == 1
    assert "not a readable project database" in result.stderr
    assert "Traceback" not in result.stderr


def test_new_refuses_an_existing_project(tmp_path: Path) -> None:
    assert main(["new", str(tmp_path / "p")]) == 0
    assert main(["new", str(tmp_path / "p")]) == 1


def test_add_frames_with_a_missing_file_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["new", str(tmp_path / "p")])
    assert main(["add-frames", str(tmp_path / "p"), str(tmp_path / "nope.bin")]) == 1
    error = capsys.readouterr().err
    assert "nope.bin" in error and "no such file" in error


def test_add_frames_with_an_unknown_suffix_lists_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["new", str(tmp_path / "p")])
    (tmp_path / "notes.docx").write_text("x")
    assert main(["add-frames", str(tmp_path / "p"), str(tmp_path / "notes.docx")]) == 1
    assert ".pcd" in capsys.readouterr().err


def test_cli_does_not_import_qt_at_start_up() -> None:
    code = "import sys, annotator.cli; sys.exit(any(m.startswith(('PySide6', 'vtk')) for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_plugins_lists_a_dropin_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    example = Path(__file__).parents[1] / "ml" / "example_plugins"
    monkeypatch.setenv("ANNOTATOR_PLUGIN_PATH", str(example))
    assert main(["plugins", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["centroid-example"]["status"] == "available"
    assert rows["centroid-example"]["framework"] == "numpy"


def test_the_window_gets_the_commands_one_plugin_host(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("PySide6")
    import annotator.qt.app.launch as app
    from annotator.ml.host import PluginHost

    seen: list[object] = []
    monkeypatch.setattr(app, "run_application", lambda directory, plugins=None: seen.append(plugins) or 0)
    assert main(["open", str(tmp_path)]) == 0
    (host,) = seen
    assert isinstance(host, PluginHost)
