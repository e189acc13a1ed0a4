"""The embedded CJK font: WenQuanYi Micro Hei (TrueType outlines), registered once on first use.

reportlab cannot embed CFF-outline fonts such as Noto CJK, and its built-in STSong-Light is not
embedded (the PDF then depends on the reader having a Chinese font). A TrueType font is embedded
as a subset holding only the glyphs a document uses, so a one-page list stays small.
"""

import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).with_name("fonts")
FONT_FILE = FONT_DIR / "wqy-microhei.ttc"  # licence: fonts/LICENSE-Apache-2.0.txt, fonts/README
FONT_NAME = "WenQuanYiMicroHei"

_lock = threading.Lock()


def cjk_font() -> str:
    """The registered font's name, registering it on the first call (it takes ~0.1 s)."""
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        with _lock:
            if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_FILE), subfontIndex=0))
    return FONT_NAME
