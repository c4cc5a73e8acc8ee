"""Helpers for testing code that plugs into annotator (needs pytest; never imported by the application)."""
