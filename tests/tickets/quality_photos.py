"""Generated photos for the evidence quality check (``portal.tickets.quality``):
good documents and house scenes, and the same made bad on purpose, so each
photo's expected verdict is known by construction. Shared by
``tests/tickets/test_quality*.py`` and ``bench/quality_tuning.py``;
deterministic for a given ``random.Random`` seed.

Good documents are pages (portrait) and cards (landscape, a KTP or KK's
shape) of text-like lines: words made of thin letter strokes of varying
height, on tinted paper with uneven light, mild noise and a slight skew.
House scenes are sky, ground, walls, a roof, windows, a door, a fence and
leafy trees. They are drawings, not phone photos: the limits of that are in
``docs/evidence-quality.md``.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter

#: What each bad kind should be flagged as; sideways and small are for documents.
BAD_KINDS = {
    "dark": "dark",
    "bright": "bright",
    "blurred": "blurred",
    "rotated": "sideways",
    "small": "small",
}
DOCUMENT_ONLY = ("rotated", "small")


def document(rng: random.Random, size: tuple[int, int] | None = None) -> Image.Image:
    """A page or a card of text-like lines, upright."""
    card = rng.random() < 0.5
    if size is None:
        size = (1400, 880) if card else (1000, 1400)
    width, height = size
    tone = rng.randint(185, 225)
    img = Image.new("RGB", size, (tone, tone - 3, tone - 12))
    draw = ImageDraw.Draw(img)
    left, top = int(width * 0.07), int(height * 0.07)
    right = int(width * (0.62 if card else 0.93))
    if card:  # the holder's photo on the right
        draw.rectangle(
            (int(width * 0.68), int(height * 0.2), int(width * 0.93), int(height * 0.75)),
            fill=(tone - 60, tone - 70, tone - 80),
        )
    line_height = max(8, round(width * rng.uniform(0.022, 0.032)))
    y = top
    while y + line_height < height * 0.93:
        _text_line(draw, rng, left, right, y, line_height)
        y += line_height + (line_height if rng.random() < 0.12 else 0)
    return _photographed(img, rng, fill=(tone, tone - 3, tone - 12))


def _text_line(draw, rng: random.Random, left: int, right: int, y: int, line_height: int):
    ink = rng.randint(25, 70)
    x_height = max(3, round(line_height * 0.42))
    stroke = max(1, round(line_height * 0.08))
    end = right if rng.random() < 0.8 else rng.randint((left + right) // 2, right)
    x = left
    while x < end:
        word = rng.randint(3, 10)
        for _ in range(word):
            tall = x_height + (round(line_height * 0.25) if rng.random() < 0.3 else 0)
            base = y + line_height - round(line_height * 0.3)
            letter = rng.randint(2, 4) * stroke
            draw.rectangle((x, base - tall, x + stroke, base), fill=(ink, ink, ink + 5))
            draw.rectangle((x, base - x_height, x + letter, base - x_height + stroke), fill=ink)
            x += letter + stroke + 1
        x += round(line_height * 0.5)


def house(rng: random.Random, size: tuple[int, int] = (1400, 1050)) -> Image.Image:
    """A house-like scene: sky, ground, walls, roof, windows, door, fence, trees."""
    width, height = size
    sky = Image.linear_gradient("L").resize(size).point(lambda v: 150 + v * 0.35)
    img = Image.merge("RGB", (sky.point(lambda v: v - 40), sky.point(lambda v: v - 10), sky))
    draw = ImageDraw.Draw(img)
    horizon = int(height * rng.uniform(0.55, 0.7))
    ground = (rng.randint(80, 120), rng.randint(90, 130), rng.randint(40, 70))
    draw.rectangle((0, horizon, width, height), fill=ground)
    for _ in range(400):  # grass and stones
        gx, gy = rng.randrange(width), rng.randrange(horizon, height)
        shade = rng.randint(-40, 40)
        draw.line(
            (gx, gy, gx + rng.randint(-4, 4), gy - rng.randint(4, 14)), fill=_add(ground, shade)
        )
    wall = (rng.randint(150, 210), rng.randint(140, 200), rng.randint(110, 170))
    x0, x1 = int(width * rng.uniform(0.15, 0.3)), int(width * rng.uniform(0.65, 0.85))
    y0 = int(height * rng.uniform(0.3, 0.4))
    draw.rectangle((x0, y0, x1, horizon + 20), fill=wall)
    for by in range(y0, horizon + 20, 18):  # brick or board courses
        draw.line((x0, by, x1, by), fill=_add(wall, -30), width=2)
    roof = (rng.randint(90, 150), rng.randint(30, 60), rng.randint(20, 40))
    draw.polygon(
        ((x0 - 40, y0), ((x0 + x1) // 2, y0 - int(height * 0.18)), (x1 + 40, y0)), fill=roof
    )
    door_x = rng.randint(x0 + 40, x1 - 140)
    draw.rectangle((door_x, horizon - 170, door_x + 90, horizon + 20), fill=(70, 45, 30))
    for wx in range(x0 + 30, x1 - 100, 160):
        if abs(wx - door_x) > 120:
            draw.rectangle(
                (wx, y0 + 50, wx + 80, y0 + 130),
                fill=(40, 50, 60),
                outline=(230, 230, 230),
                width=5,
            )
    for fx in range(0, width, 28):  # a fence in front
        draw.rectangle((fx, horizon + 40, fx + 8, horizon + 110), fill=(200, 200, 195))
    for _ in range(rng.randint(1, 3)):
        _tree(draw, rng, rng.choice((rng.randint(0, x0), rng.randint(x1, width))), horizon)
    return _photographed(img, rng, fill=ground)


def _tree(draw, rng: random.Random, x: int, horizon: int) -> None:
    draw.rectangle((x - 10, horizon - 150, x + 10, horizon + 20), fill=(80, 55, 35))
    for _ in range(120):
        lx, ly = x + rng.randint(-110, 110), horizon - 150 + rng.randint(-130, 60)
        green = (rng.randint(20, 70), rng.randint(90, 160), rng.randint(20, 60))
        draw.ellipse((lx, ly, lx + rng.randint(10, 30), ly + rng.randint(8, 20)), fill=green)


def _add(colour: tuple[int, int, int], amount: int) -> tuple[int, int, int]:
    return tuple(max(0, min(255, c + amount)) for c in colour)


def _photographed(img: Image.Image, rng: random.Random, fill) -> Image.Image:
    """Uneven light, a slight skew, the camera's softness and noise."""
    light = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize(img.size)
    low = rng.randint(175, 215)
    light = light.point(lambda v: low + v * (255 - low) / 255).convert("RGB")
    img = ImageChops.multiply(img, light)
    img = img.rotate(rng.uniform(-2, 2), resample=Image.Resampling.BILINEAR, fillcolor=fill)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    noise = Image.effect_noise(img.size, rng.uniform(4, 9)).convert("RGB")
    return ImageChops.add(img, noise, 1.0, -128)


# --- made bad on purpose ------------------------------------------------------------


def darkened(img: Image.Image, rng: random.Random, amount: float | None = None) -> Image.Image:
    """A room without light: everything at 15–30 % (or ``amount``) of its brightness."""
    return ImageEnhance.Brightness(img).enhance(amount or rng.uniform(0.15, 0.3))


def brightened(img: Image.Image, rng: random.Random, amount: float | None = None) -> Image.Image:
    """Overexposed or in glare: mixed 65–85 % (or ``amount``) with white, the ink turns pale."""
    white = Image.new(img.mode, img.size, "white")
    return Image.blend(img, white, amount or rng.uniform(0.65, 0.85))


def blurred(img: Image.Image, rng: random.Random, amount: float | None = None) -> Image.Image:
    """Out of focus: a Gaussian blur of 2–4 px (or ``amount``) of the checked (512-px) copy."""
    per_work_px = max(img.size) / 512
    return img.filter(ImageFilter.GaussianBlur(per_work_px * (amount or rng.uniform(2, 4))))


def rotated(img: Image.Image, rng: random.Random) -> Image.Image:
    """Held sideways and stored so (no orientation tag)."""
    turn = Image.Transpose.ROTATE_90 if rng.random() < 0.5 else Image.Transpose.ROTATE_270
    return img.transpose(turn)


def shrunk(img: Image.Image, rng: random.Random) -> Image.Image:
    """Sent as a thumbnail: 240–420 px on its shorter side."""
    short = rng.randint(240, 420)
    scale = short / min(img.size)
    return img.resize(
        (round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS
    )


SPOIL = {
    "dark": darkened,
    "bright": brightened,
    "blurred": blurred,
    "rotated": rotated,
    "small": shrunk,
}


def jpeg(img: Image.Image, quality: int = 85, exif: Image.Exif | None = None) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality, exif=exif or Image.Exif())
    return buf.getvalue()
