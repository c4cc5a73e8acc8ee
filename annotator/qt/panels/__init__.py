"""Dock panels of the main window: label classes, objects of the frame, properties, frames."""
