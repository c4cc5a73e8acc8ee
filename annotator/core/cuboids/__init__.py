"""Cuboids: geometry, overlap, point tests, fitting, heading and creation."""
