"""Peak resident memory of labelCloud 1.1.1 showing one point cloud, for `large_clouds.py --labelcloud`.

Runs with labelCloud's own Python (a separate virtual environment: never install it into the project's)
under xvfb-run, since labelCloud draws with OpenGL in a Qt 5 window: `large_clouds.py` starts it so. It
makes a throwaway labelCloud project in a temporary directory whose point-cloud folder links to the
cloud, opens labelCloud's main window (its start-up dialog accepted with the default classes), waits
until the cloud is loaded and drawn a few times, then prints ``RESULT {"rss_mib": ...}`` and quits.

Run: /work/cache/labelcloud-venv/bin/python benchmarks/labelcloud_rss.py CLOUD.bin   (under xvfb-run)
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

#: Frames drawn after the cloud is loaded before memory is read (labelCloud redraws on a 20 ms timer).
FRAMES = 5


def main() -> int:
    cloud = Path(sys.argv[1]).resolve()
    work = Path(tempfile.mkdtemp(prefix="labelcloud-rss-"))
    try:
        os.chdir(work)
        import labelCloud.resources as resources

        shipped = Path(resources.__file__).parent
        (work / "pointclouds").mkdir()
        (work / "labels").mkdir()
        (work / "pointclouds" / cloud.name).symlink_to(cloud)
        shutil.copy(shipped / "default_config.ini", work / "config.ini")
        shutil.copy(shipped / "default_classes.json", work / "labels" / "_classes.json")

        from labelCloud.view.startup import dialog
        from PyQt5.QtWidgets import QApplication

        dialog.StartupDialog.exec = lambda self: True  # accept the start-up dialog's defaults

        from labelCloud.control.controller import Controller
        from labelCloud.view.gui import GUI

        app = QApplication(sys.argv[:1])
        control = Controller()
        view = GUI(control)
        app.installEventFilter(view)
        view.resize(1600, 1000)
        view.show()
        start = time.perf_counter()
        while control.pcd_manager.pointcloud is None and time.perf_counter() - start < 600:
            app.processEvents()
            time.sleep(0.01)
        for _ in range(FRAMES):
            view.gl_widget.repaint()
            app.processEvents()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print("RESULT " + json.dumps({"rss_mib": rss, "seconds": time.perf_counter() - start}), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    os._exit(0)  # labelCloud's timers and OpenGL context need no orderly shutdown


if __name__ == "__main__":
    sys.exit(main())
