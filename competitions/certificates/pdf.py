"""The certificate page: plain data in, PDF bytes out (no database, no Flask).

A4 landscape. The full layout prints everything: a double border in deep red and gold, the
title letter-spaced in the kai face, the holder's name, the body wrapped with a two-character
indent, the issuers with their seals and the date at the bottom right, the serial and the
verification QR at the bottom left. On pre-printed stock (`PrintLayout(preprinted=True)`) only
the variable fields are printed, each moved by the union's measured offsets; the calibration
page draws every field's box at its offset position on a millimetre grid, to be laid over the
stock against the light.

Positions are in millimetres from the sheet's top left corner, as a ruler measures them; an
offset (dx, dy) moves a field right and down. The certificate is set in the kai face alone
(fonts.draw_text fills in what it lacks), so a PDF embeds one font subset, not two.
"""

import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from competitions.certificates.fonts import KAI, draw_text, fit_size, text_width
from competitions.certificates.images import stamp
from competitions.certificates.qr import draw_qr

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
RED = colors.HexColor("#A4161A")
GOLD = colors.HexColor("#C09A3E")
INK = colors.HexColor("#1C1C1C")
GREY = colors.HexColor("#555555")


@dataclass(frozen=True)
class Box:
    """A field's default place on the sheet, in mm from the top left corner."""

    left: float
    top: float
    width: float
    height: float


FIELDS: dict[str, Box] = {
    "holder": Box(44, 67, 150, 14),
    "body": Box(44, 87, 209, 45),
    "issuers": Box(106, 149, 152, 14),
    "date": Box(106, 165, 152, 10),
    "qr": Box(30, 144, 26, 26),
    "serial": Box(60, 152, 52, 20),
}
FIELD_LABELS = {"holder": "姓名", "body": "正文", "issuers": "发证单位", "date": "日期",
                "qr": "二维码", "serial": "证书编号"}
MAX_OFFSET_MM = 50.0


@dataclass(frozen=True)
class CertificateDocument:
    title: str  # "获奖证书" | "荣誉证书" | "参赛证明"
    holder: str
    body: str
    issuers: tuple[str, ...]  # 1–3 organisations
    date_text: str  # chinese_date(...)
    serial: str
    verify_url: str
    seals: tuple[bytes | None, ...] = ()  # a PNG per issuer, same order
    logo: bytes | None = None  # PNG
    code: str = ""  # the verification token as printed (serials.grouped_token)


@dataclass(frozen=True)
class PrintLayout:
    """Pre-printed stock or plain paper, and the offsets (dx, dy) in mm that align to the stock.

    `offsets_mm` maps a field of FIELDS to its own offset, added to the global `offset_mm`.
    """

    preprinted: bool = False
    print_issuers: bool = True  # on stock whose issuer names are printed already: False
    offset_mm: tuple[float, float] = (0.0, 0.0)
    offsets_mm: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self):
        unknown = set(self.offsets_mm) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown certificate fields: {sorted(unknown)}")
        for dx, dy in [self.offset_mm, *self.offsets_mm.values()]:
            if abs(dx) > MAX_OFFSET_MM or abs(dy) > MAX_OFFSET_MM:
                raise ValueError(f"an offset is beyond ±{MAX_OFFSET_MM:g} mm")

    def point(self, name: str, x_mm: float, y_mm: float) -> tuple[float, float]:
        """PDF coordinates (points from the bottom left) of a field's position on the sheet."""
        dx, dy = self.offsets_mm.get(name, (0.0, 0.0))
        return ((x_mm + self.offset_mm[0] + dx) * mm,
                PAGE_HEIGHT - (y_mm + self.offset_mm[1] + dy) * mm)


CHINESE_DIGITS = "〇一二三四五六七八九"


def _chinese_number(n: int) -> str:
    """1–31 as written in dates: 十, 十一, 二十, 二十一, 三十一."""
    tens, units = divmod(n, 10)
    return ((CHINESE_DIGITS[tens] if tens > 1 else "") + ("十" if tens else "")
            + (CHINESE_DIGITS[units] if units or not tens else ""))


def chinese_date(d: date, *, day: bool = False) -> str:
    """2026-12-06 -> "二〇二六年十二月" (with day=True "二〇二六年十二月六日")."""
    text = "".join(CHINESE_DIGITS[int(c)] for c in str(d.year)) + "年"
    text += _chinese_number(d.month) + "月"
    return text + (_chinese_number(d.day) + "日" if day else "")


# Line breaking: a closing mark never starts a line (it hangs past the measure instead) and an
# opening mark never ends one; a run of Latin letters and digits is never split.
NO_LINE_START = set("，。、；：？！）》」』】〕…·%,.;:?!)]}”’")
NO_LINE_END = set("（《「『【〔([{“‘")
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-/_%]*|\S|\s")


def wrap(text: str, width: float, size: float, face: str, indent: float = 0) -> list[str]:
    """Lines of `text` at most `width` points wide (the first `indent` narrower), but for a
    closing mark hanging past the measure."""
    lines, line, used, room = [], "", 0.0, width - indent
    for token in TOKEN.findall(text):
        token_width = text_width(token, size, face)
        if line and used + token_width > room and token not in NO_LINE_START:
            carried = ""
            if line[-1] in NO_LINE_END:
                line, carried = line[:-1], line[-1]
            lines.append(line.rstrip())
            line = carried
            used, room = text_width(carried, size, face), width
            if token.isspace():
                continue
        line += token
        used += token_width
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _draw_border(canvas: Canvas) -> None:
    """Deep red outer rule, a gold double rule inside it, and gold corner ornaments."""
    canvas.saveState()
    for inset, width, colour in [(9, 3.0, RED), (12, 1.1, GOLD), (13.3, 0.45, GOLD)]:
        canvas.setStrokeColor(colour)
        canvas.setLineWidth(width)
        canvas.rect(inset * mm, inset * mm, PAGE_WIDTH - 2 * inset * mm,
                    PAGE_HEIGHT - 2 * inset * mm, stroke=1, fill=0)
    canvas.setStrokeColor(RED)
    canvas.setFillColor(GOLD)
    canvas.setLineWidth(0.8)
    for cx, cy, sx, sy in [(0, 0, 1, 1), (PAGE_WIDTH, 0, -1, 1), (0, PAGE_HEIGHT, 1, -1),
                           (PAGE_WIDTH, PAGE_HEIGHT, -1, -1)]:
        canvas.saveState()
        canvas.translate(cx + sx * 15.5 * mm, cy + sy * 15.5 * mm)
        canvas.scale(sx * mm, sy * mm)
        path = canvas.beginPath()  # a square fret (回纹) bracket in the corner
        path.moveTo(0, 12)
        path.lineTo(0, 0)
        path.lineTo(12, 0)
        path.moveTo(2.5, 8)
        path.lineTo(2.5, 2.5)
        path.lineTo(8, 2.5)
        canvas.setLineWidth(0.7 / mm)
        canvas.drawPath(path, stroke=1, fill=0)
        canvas.rect(4.5, 4.5, 2.2, 2.2, stroke=0, fill=1)
        canvas.restoreState()
    canvas.restoreState()


def _draw_title(canvas: Canvas, doc: CertificateDocument) -> None:
    """The logo (if any) centred above the title, and the title letter-spaced in red kai."""
    size = 46
    if doc.logo:
        logo = stamp(doc.logo)
        height = 15 * mm
        width = height * logo.width / logo.height
        logo.draw(canvas, (PAGE_WIDTH - width) / 2, PAGE_HEIGHT - 33 * mm, width, height)
    tracking = size * 0.6
    widths = [text_width(c, size, KAI) for c in doc.title]
    x = (PAGE_WIDTH - sum(widths) - tracking * (len(widths) - 1)) / 2
    canvas.setFillColor(RED)
    for char, char_width in zip(doc.title, widths, strict=True):
        draw_text(canvas, x, PAGE_HEIGHT - 52 * mm, char, size=size, face=KAI)
        x += char_width + tracking


def _draw_holder(canvas: Canvas, doc: CertificateDocument, layout: PrintLayout) -> None:
    box = FIELDS["holder"]
    x, y = layout.point("holder", box.left, box.top + box.height * 0.8)
    size = fit_size(doc.holder, box.width * mm - 30, 28, KAI, 14)
    canvas.setFillColor(INK)
    draw_text(canvas, x, y, f"{doc.holder}：", size=size, face=KAI)


def _draw_body(canvas: Canvas, doc: CertificateDocument, layout: PrintLayout) -> None:
    """The body wrapped to the box, shrunk from 22 pt (down to 12 pt) until it fits."""
    box = FIELDS["body"]
    for size in (22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12):
        leading = size * 1.8
        lines = wrap(doc.body, box.width * mm, size, KAI, indent=2 * size)
        if len(lines) * leading <= box.height * mm + size:
            break
    x, y = layout.point("body", box.left, box.top)
    canvas.setFillColor(INK)
    for index, line in enumerate(lines):
        indent = 2 * size if index == 0 else 0
        canvas.saveState()
        if index < len(lines) - 1 and len(line) > 1:  # justified, as Chinese text is set
            spare = box.width * mm - indent - text_width(line, size, KAI)
            # The character spacing (Tc) persists through draw_text's text object; reportlab's
            # canvas has no public setter for it outside a text object.
            canvas._code.append(f"{max(spare, 0) / (len(line) - 1):.3f} Tc")
        draw_text(canvas, x + indent, y - size - index * leading, line, size=size, face=KAI)
        canvas.restoreState()


SEAL_MM = 38  # a common round seal is 38–42 mm across
ISSUER_GAP_MM = 14


def issuer_slots(issuers: tuple[str, ...], width_mm: float) -> tuple[float, list[float]]:
    """The issuers' type size and each name's centre (mm from the box's left edge).

    Names sit side by side, right-aligned, all in one size: the largest up to 18 pt (down to
    10 pt) at which they fit, each in a slot at least a seal wide so that seals never overlap.
    """
    names = issuers or ("",)
    size = 18.0
    while True:
        slots = [max(text_width(name, size, KAI) / mm, SEAL_MM) for name in names]
        total = sum(slots) + ISSUER_GAP_MM * (len(slots) - 1)
        if total <= width_mm or size <= 10:
            break
        size -= 0.5
    left = width_mm - total
    centres = []
    for slot in slots:
        centres.append(left + slot / 2)
        left += slot + ISSUER_GAP_MM
    return size, centres


def _draw_issuers(canvas: Canvas, doc: CertificateDocument, layout: PrintLayout) -> None:
    """Issuers side by side at the bottom right, each seal over its issuer, the date below."""
    box, date_box = FIELDS["issuers"], FIELDS["date"]
    size, centres = issuer_slots(doc.issuers, box.width)
    baseline = box.top + box.height * 0.7
    canvas.setFillColor(INK)
    if layout.print_issuers:
        for issuer, centre in zip(doc.issuers, centres, strict=False):
            x, y = layout.point("issuers", box.left + centre, baseline)
            draw_text(canvas, x, y, issuer, size=size, face=KAI, align="centre")
    middle = box.left + (centres[0] + centres[-1]) / 2
    x, y = layout.point("date", middle, date_box.top + date_box.height * 0.7)
    draw_text(canvas, x, y, doc.date_text, size=17, face=KAI, align="centre")
    if layout.preprinted:
        return
    canvas.saveState()
    canvas.setBlendMode("Multiply")  # ink over ink: the text stays legible under the seal
    diameter = SEAL_MM * mm
    for seal, centre in zip(doc.seals, centres, strict=False):
        if seal:  # over the name, its lower edge reaching down over the date
            x, y = layout.point("issuers", box.left + centre, baseline - 1)
            stamp(seal).draw(canvas, x - diameter / 2, y - diameter / 2, diameter, diameter)
    canvas.restoreState()


def _draw_verification(canvas: Canvas, doc: CertificateDocument, layout: PrintLayout) -> None:
    """The QR with its caption, and the serial beside it on two lines, at the bottom left."""
    box = FIELDS["qr"]
    x, y = layout.point("qr", box.left, box.top + box.height)
    draw_qr(canvas, doc.verify_url, x, y, box.width * mm)
    canvas.setFillColor(GREY)
    draw_text(canvas, x + box.width * mm / 2, y - 4 * mm, "扫码验证", size=9.5, face=KAI,
              align="centre")
    box = FIELDS["serial"]
    x, y = layout.point("serial", box.left, box.top + 5)
    draw_text(canvas, x, y, "证书编号：", size=9.5, face=KAI)
    size = fit_size(doc.serial, box.width * mm, 11, KAI, 7)
    draw_text(canvas, x, y - 6.5 * mm, doc.serial, size=size, face=KAI)
    if doc.code:  # for the public check typed by hand, when no phone scans the QR
        draw_text(canvas, x, y - 13 * mm, f"验证码：{doc.code}", size=min(size, 9.5), face=KAI)


def _draw_page(canvas: Canvas, doc: CertificateDocument, layout: PrintLayout) -> None:
    if not layout.preprinted:
        _draw_border(canvas)
        _draw_title(canvas, doc)
    _draw_holder(canvas, doc, layout)
    _draw_body(canvas, doc, layout)
    _draw_issuers(canvas, doc, layout)
    _draw_verification(canvas, doc, layout)
    canvas.showPage()


def _canvas(buffer: io.BytesIO, title: str, author: str = "", subject: str = "") -> Canvas:
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setSubject(subject)
    canvas.setCreator("competitions")
    return canvas


def render_certificate(doc: CertificateDocument, layout: PrintLayout = PrintLayout()) -> bytes:
    """One certificate as a one-page PDF with its fonts embedded as subsets."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, f"{doc.title} · {doc.holder}", "、".join(doc.issuers), doc.serial)
    _draw_page(canvas, doc, layout)
    canvas.save()
    return buffer.getvalue()


def render_batch(docs: Iterable[CertificateDocument], layout: PrintLayout = PrintLayout(),
                 title: str = "证书") -> bytes:
    """Many certificates as pages of one PDF, to print a batch on stock in one job."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, title)
    for doc in docs:
        _draw_page(canvas, doc, layout)
    canvas.save()
    return buffer.getvalue()


def render_calibration_page(layout: PrintLayout = PrintLayout(preprinted=True)) -> bytes:
    """A millimetre grid with every field's box and label at its offset position."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, "证书套打校准页")
    _draw_grid(canvas)
    canvas.setLineWidth(0.8)
    for name, box in FIELDS.items():
        x, y = layout.point(name, box.left, box.top)
        canvas.setStrokeColor(RED)
        canvas.setFillColor(colors.Color(0.64, 0.09, 0.1, alpha=0.08))
        canvas.rect(x, y - box.height * mm, box.width * mm, box.height * mm, stroke=1, fill=1)
        dx, dy = layout.offsets_mm.get(name, (0.0, 0.0))
        dx, dy = dx + layout.offset_mm[0], dy + layout.offset_mm[1]
        canvas.setFillColor(RED)
        draw_text(canvas, x + 1.5 * mm, y - 4.5 * mm,
                  f"{FIELD_LABELS[name]} {name}  ({dx:+.1f}, {dy:+.1f}) mm", size=9)
    canvas.setFillColor(INK)
    draw_text(canvas, PAGE_WIDTH / 2, PAGE_HEIGHT - 197 * mm,
              "套打校准页：按 100% 实际大小打印，与证书纸叠放对光检查；"
              "偏移量以毫米计，向右、向下为正。", size=10, align="centre")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_grid(canvas: Canvas) -> None:
    """Lines every mm (every 5 mm darker, every 10 mm darker still and numbered)."""
    canvas.saveState()
    for step, grey, width in [(1, 0.88, 0.15), (5, 0.7, 0.3), (10, 0.45, 0.5)]:
        canvas.setStrokeGray(grey)
        canvas.setLineWidth(width)
        path = canvas.beginPath()
        for x in range(0, 298, step):
            path.moveTo(x * mm, 0)
            path.lineTo(x * mm, PAGE_HEIGHT)
        for y in range(0, 211, step):
            path.moveTo(0, PAGE_HEIGHT - y * mm)
            path.lineTo(PAGE_WIDTH, PAGE_HEIGHT - y * mm)
        canvas.drawPath(path, stroke=1, fill=0)
    canvas.setFillColor(GREY)
    for x in range(10, 297, 10):
        draw_text(canvas, x * mm + 0.5 * mm, PAGE_HEIGHT - 3.5 * mm, str(x), size=6)
    for y in range(10, 210, 10):
        draw_text(canvas, 0.8 * mm, PAGE_HEIGHT - y * mm - 2.5 * mm, str(y), size=6)
    canvas.restoreState()
