"""Input/output: point-cloud readers, calibration, label formats, importers and the project store."""
