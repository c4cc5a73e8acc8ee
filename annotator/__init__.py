"""annotator: 3D point-cloud and image annotation with models in the loop."""

__version__ = "0.1.0"
