"""How a LiDAR turns a surface's reflectivity into the intensity it reports.

The return strength of a diffuse surface falls with the cosine of the incidence angle (Lambert) and with
range (beam spread, atmosphere); retro-reflectors (licence plates, road signs) send the light back to the
sensor whatever the incidence. Each sensor then maps the strength through its own response curve and
scale: KITTI's HDL-64E reports a calibrated reflectance in 0..1, Velodyne's VLP sensors and most others
a byte 0..255.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntensityModel:
    """Reflectivity (0..1 per material) to reported intensity.

    ``strength = reflectivity * (ambient + (1 - ambient) * cos(incidence)) * exp(-range / falloff)``, except
    for materials with reflectivity >= ``retro_threshold`` (retro-reflective: no incidence term). The sensor
    reports ``scale * clip(gain * strength ** gamma, 0, 1)`` (rounded to whole steps when ``integer``),
    with Gaussian ``noise`` (in 0..1 units, before the response) scaled by the scene's noise level.
    Returns whose strength is below ``weak`` are lost with probability ``weak_loss`` (too weak for the
    receiver: glass, black paint, asphalt far away at a grazing angle).
    """

    ambient: float = 0.25
    falloff: float = 300.0
    retro_threshold: float = 2.0  # above any reflectivity: no retro-reflectors
    gamma: float = 1.0
    gain: float = 1.0
    scale: float = 1.0
    integer: bool = False
    noise: float = 0.01
    weak: float = 0.015
    weak_loss: float = 0.6

    def __post_init__(self) -> None:
        if not 0.0 <= self.ambient <= 1.0:
            raise ValueError(f"ambient must be between 0 and 1, got {self.ambient}")
        if min(self.falloff, self.gamma, self.gain, self.scale) <= 0:
            raise ValueError("falloff, gamma, gain and scale must be positive")
        if self.noise < 0 or self.weak < 0 or not 0.0 <= self.weak_loss <= 1.0:
            raise ValueError("noise and weak must not be negative, weak_loss must be in 0..1")

    def strength(
        self, reflectivity: np.ndarray, cos_incidence: np.ndarray, distance: np.ndarray
    ) -> np.ndarray:
        """Return strength (0..1-ish) of each return before the sensor's response curve."""
        reflectivity = np.asarray(reflectivity)
        cos_incidence = np.abs(np.asarray(cos_incidence))
        shading = self.ambient + (1.0 - self.ambient) * cos_incidence
        retro = reflectivity >= self.retro_threshold
        if np.any(retro):
            shading = np.where(retro, 1.0, shading)
        return reflectivity * shading * np.exp(-np.asarray(distance) / self.falloff)

    def report(self, strength: np.ndarray) -> np.ndarray:
        """The intensity the sensor reports for return strengths (after noise): its response and scale."""
        value = np.clip(strength, 0.0, 1.0)
        if self.gamma != 1.0 or self.gain != 1.0:
            value = np.clip(self.gain * value**self.gamma, 0.0, 1.0)
        if self.scale != 1.0:
            value = value * self.scale
        if self.integer:
            value = np.round(value)
        return value

    def intensity(
        self, reflectivity: np.ndarray, cos_incidence: np.ndarray, distance: np.ndarray
    ) -> np.ndarray:
        """Noise-free reported intensity of surfaces of ``reflectivity`` seen at an incidence and range."""
        return self.report(self.strength(reflectivity, cos_incidence, distance))
