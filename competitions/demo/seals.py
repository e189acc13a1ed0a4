"""Demo seals: a round red seal (公章) drawn with Pillow, the organisation's name around the
ring and a star in the middle, on a transparent background, as a union would scan its own."""

import io
import math

from PIL import Image, ImageDraw, ImageFont

from competitions.certificates.fonts import FACES, SANS


def red_seal(side: int = 600, *, name: str = "", colour=(204, 20, 30), opacity: int = 225) -> bytes:
    big = side * 2  # drawn at twice the size, then scaled down: smooth edges
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ink = (*colour, opacity)
    centre, radius = big / 2, big / 2 - 12
    draw.ellipse((centre - radius,) * 2 + (centre + radius,) * 2, outline=ink,
                 width=int(big * 0.035))
    inner = radius * 0.86
    draw.ellipse((centre - inner,) * 2 + (centre + inner,) * 2, outline=ink,
                 width=int(big * 0.008))
    points = []
    for index in range(10):
        r = radius * 0.34 * (1 if index % 2 == 0 else 0.382)
        angle = -math.pi / 2 + index * math.pi / 5
        points.append((centre + r * math.cos(angle), centre + r * math.sin(angle)))
    draw.polygon(points, fill=ink)
    if name:
        _ring_text(image, name, centre, radius * 0.68, ink, big)
    buffer = io.BytesIO()
    image.resize((side, side), Image.Resampling.LANCZOS).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _ring_text(image, text, centre, radius, ink, big) -> None:
    """The name along the upper arc, each character upright towards the centre."""
    span = min(math.radians(250), math.radians(24) * len(text))
    size = int(min(big * 0.11, radius * span / len(text) * 0.9))
    font = ImageFont.truetype(str(FACES[SANS].file), size, index=FACES[SANS].subfont)
    for index, char in enumerate(text):
        angle = -math.pi / 2 - span / 2 + span * (index + 0.5) / len(text)
        glyph = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((size, size), char, font=font, fill=ink, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        x = centre + radius * math.cos(angle) - size
        y = centre + radius * math.sin(angle) - size
        image.alpha_composite(glyph, (int(x), int(y)))
