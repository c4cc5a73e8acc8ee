"""Geometric 3D detector: ground removal, Euclidean clustering and oriented box fitting, no weights.

Only the manifest lives here so discovery stays cheap; the code (`plugins.geometric.model`) is imported
on first use.
"""

from __future__ import annotations

MANIFEST = {
    "id": "geometric",
    "name": "Geometric detector (ground removal, clustering, box fitting)",
    "version": "1.0",
    "task": "detect3d",
    "framework": "numpy",
    "entry": "plugins.geometric.model:GeometricDetector",
    "classes": ["Car", "Van", "Truck", "Pedestrian", "Cyclist"],
    "capabilities": ["predict"],
    "parameters": [
        {"name": "max_range", "type": "float", "default": 50.0, "minimum": 5.0, "maximum": 250.0,
         "help": "ignore points farther than this from the sensor in bird's-eye view (m)"},
        {"name": "ground_cell", "type": "float", "default": 2.0, "minimum": 0.5, "maximum": 10.0,
         "help": "cell size of the local ground grid (m); smaller follows rougher ground"},
        {"name": "ground_tolerance", "type": "float", "default": 0.2, "minimum": 0.02, "maximum": 1.0,
         "help": "points at most this high above the local ground are ground (m)"},
        {"name": "max_height", "type": "float", "default": 4.2, "minimum": 1.0, "maximum": 10.0,
         "help": "ignore points higher than this above the ground: canopies, signs, wires (m)"},
        {"name": "cluster_eps", "type": "float", "default": 0.25, "minimum": 0.05, "maximum": 2.0,
         "help": "clustering distance: points closer than this belong to the same object (m)"},
        {"name": "min_points", "type": "int", "default": 8, "minimum": 3, "maximum": 10000,
         "help": "smallest number of points an object may have"},
        {"name": "min_score", "type": "float", "default": 0.3, "minimum": 0.0, "maximum": 1.0,
         "help": "drop detections scoring below this"},
        {"name": "complete_boxes", "type": "bool", "default": True,
         "help": "grow partly seen objects to their class's typical size, away from the sensor"},
        {"name": "fit_method", "type": "choice", "default": "lshape", "choices": ["lshape", "area"],
         "help": "box heading from L-shape fitting (partly seen objects) or the minimum-area rectangle"},
    ],
    "description": "Finds objects standing on the ground by clustering the points above a robust local "
    "ground model, fits oriented boxes and names them from their size. Needs no weights or GPU.",
}  # fmt: skip
