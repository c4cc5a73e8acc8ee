"""Draw packaging/annotator.png (256 x 256): a cuboid over a scatter of points (run once; the PNG is kept)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SIZE = 256


def icon() -> Image.Image:
    """The application icon."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8, 8, SIZE - 8, SIZE - 8), radius=40, fill=(28, 36, 48, 255))
    rng = np.random.default_rng(7)
    for x, y in rng.uniform(30, SIZE - 30, (260, 2)):
        shade = int(120 + 100 * (y / SIZE))
        draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=(shade, shade, 255 - shade // 3, 255))
    front = [(64, 120), (168, 120), (168, 200), (64, 200)]
    back = [(x + 30, y - 34) for x, y in front]
    colour, width = (241, 196, 15, 255), 7
    for face in (front, back):
        draw.line([*face, face[0]], fill=colour, width=width, joint="curve")
    for a, b in zip(front, back):
        draw.line([a, b], fill=colour, width=width)
    return image


if __name__ == "__main__":
    icon().save(Path(__file__).with_name("annotator.png"))
