"""Organisers' seal (公章) and logo images: checked on upload, decoded once, drawn with alpha.

Only PNG is accepted, by content: a seal needs a transparent background, which JPEG has not,
and a single format keeps the decoder surface small. Pillow opens the header first, so the
dimension limit refuses a decompression bomb before any pixel is decoded.

reportlab's drawImage decodes the image, hashes its ~1 MB of raw pixels and deflates them again
for every document (~15 ms for a 600×600 seal). A `Stamp` holds the deflated colour and alpha
planes, computed once per image and kept in a small LRU cache by SHA-256, and hands them to
each document as ready-made image XObjects, so a seal costs a PDF only the copying of its bytes.
"""

import hashlib
import io
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass

from PIL import Image
from reportlab.pdfbase.pdfdoc import PDFImageXObject

from competitions.i18n import lazy_gettext as _l

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 512 * 1024
MAX_SIDE = 2000
PRINT_SIDE = 800  # pixels kept: a 45 mm seal at 450 dpi; larger uploads are scaled down once
CACHE_SIZE = 32


class ImageRefused(ValueError):
    """An upload that is not an acceptable PNG. `message` is a lazily translated sentence."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _open_png(data: bytes, max_bytes: int, max_side: int) -> Image.Image:
    """The decoded image, after the size, signature, dimension and integrity checks."""
    if len(data) > max_bytes:
        raise ImageRefused(_l("The image must be a PNG file of at most %(kb)s KB.",
                              kb=max_bytes // 1024))
    not_png = ImageRefused(_l("The image must be a PNG file."))
    too_large = ImageRefused(_l("The image must be at most %(px)s × %(px)s pixels.",
                                px=max_side))
    if not data.startswith(PNG_SIGNATURE):
        raise not_png
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as header:
            width, height = header.size  # read from IHDR: nothing decoded yet
            if width > max_side or height > max_side:
                raise too_large
            header.verify()  # every chunk's CRC, up to IEND
        image = Image.open(io.BytesIO(data), formats=["PNG"])
        image.load()  # a truncated or corrupt pixel stream fails here
    except ImageRefused:
        raise
    except Image.DecompressionBombError as error:  # Pillow's own limit, far above ours
        raise too_large from error
    except (OSError, SyntaxError, ValueError) as error:
        raise not_png from error
    return image


def check_png(data: bytes, *, max_bytes: int = MAX_BYTES, max_side: int = MAX_SIDE
              ) -> tuple[int, int]:
    """The (width, height) of an acceptable PNG upload; ImageRefused otherwise."""
    return _open_png(data, max_bytes, max_side).size


@dataclass(frozen=True)
class Stamp:
    """A decoded image ready for any number of PDFs: deflated RGB and (optional) alpha planes."""

    digest: str
    width: int
    height: int
    colour: bytes
    alpha: bytes | None

    def draw(self, canvas, x: float, y: float, width: float, height: float) -> None:
        """Draw the image filling the box with its lower left at (x, y), alpha kept (SMask)."""
        name = self._register(canvas)
        canvas.saveState()
        canvas.translate(x, y)
        canvas.scale(width, height)
        canvas._code.append(f"/{name} Do")
        canvas.restoreState()
        canvas._formsinuse.append(self.digest)
        canvas._currentPageHasImages = 1

    def _register(self, canvas) -> str:
        """The XObject's name in the canvas's document, adding it (and its SMask) the first time.

        This is what reportlab's drawImage does, minus the decoding and deflating.
        """
        document = canvas._doc
        name = document.getXObjectName(self.digest)
        if name in document.idToObject:
            return name
        image = _xobject(self.digest, self.width, self.height, "DeviceRGB", self.colour)
        if self.alpha is not None:
            mask = _xobject(self.digest + "a", self.width, self.height, "DeviceGray", self.alpha)
            mask._decode = [0, 1]
            mask_name = document.getXObjectName(mask.name)
            canvas._setXObjects(mask)
            image.smask = document.Reference(mask, mask_name)
        canvas._setXObjects(image)
        document.Reference(image, name)
        document.addForm(self.digest, image)
        return name


def _xobject(name: str, width: int, height: int, colour_space: str, content: bytes):
    image = PDFImageXObject(name)
    image.width, image.height = width, height
    image.bitsPerComponent = 8
    image.colorSpace = colour_space
    image._filters = ("FlateDecode",)  # already deflated: PDFStream adds no filter of its own
    image.streamContent = content
    image.mask = None
    return image


_cache: OrderedDict[str, Stamp] = OrderedDict()
_cache_lock = threading.Lock()


def stamp(data: bytes) -> Stamp:
    """The prepared image for a PNG (checked like an upload), decoded once per distinct content."""
    digest = hashlib.sha256(data).hexdigest()
    with _cache_lock:
        if digest in _cache:
            _cache.move_to_end(digest)
            return _cache[digest]
    prepared = _prepare(digest, _open_png(data, MAX_BYTES, MAX_SIDE))
    with _cache_lock:
        _cache[digest] = prepared
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return prepared


def _prepare(digest: str, image: Image.Image) -> Stamp:
    image = image.convert("RGBA")
    image.thumbnail((PRINT_SIDE, PRINT_SIDE), Image.Resampling.LANCZOS)
    alpha = image.getchannel("A")
    opaque = alpha.getextrema() == (255, 255)
    return Stamp(
        digest=digest, width=image.width, height=image.height,
        colour=zlib.compress(image.convert("RGB").tobytes()),
        alpha=None if opaque else zlib.compress(alpha.tobytes()))

