"""Editing cuboids with the mouse: creation tools, handle drags in the views, snapping to the ground."""
