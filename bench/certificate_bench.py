"""Certificate rendering speed on one core: PDFs per second, the cost of a seal, the QR code.

    python bench/certificate_bench.py [--count 300]

Renders `--count` certificates (each with its own serial and verification URL, so no QR is
reused) in the full layout with the embedded kai subset, then again with a 600×600 RGBA seal on
each of two issuers, and reports the milliseconds the seal adds per PDF, beside what reportlab's
own drawImage(ImageReader, mask="auto") would cost; then times the QR code's steps: zxing-cpp's
encoding, the module matrix, the merged rectangles and the drawing. The streamed ZIP's memory is
measured in the certificates' own bench. It prints figures and never asserts.
bench/bench_certificates.py measures the rate for `make bench` (certificates), beside the same
PDF without its QR code (`without_qr`).
"""

import argparse
import io
import statistics
import sys
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from unittest import mock

import zxingcpp
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from render_example_certificate import example, red_seal  # bench/render_example_certificate.py

from competitions.certificates import images  # noqa: E402
from competitions.certificates import pdf as certificate_pdf  # noqa: E402
from competitions.certificates.pdf import (  # noqa: E402
    PrintLayout,
    render_batch,
    render_certificate,
)
from competitions.certificates.qr import EC_LEVEL, draw_qr, merged_rects, qr_matrix  # noqa: E402


def documents(count: int, seals=()):
    base = replace(example(), seals=seals)
    for index in range(count):
        serial = f"2026-C-320100-{index:06d}-7"
        yield replace(base, serial=serial,
                      verify_url=f"https://certs.example.org/verify/{serial}?t=Xq3vT9kLm{index}")


def per_second(count: int, seals=(), layout=PrintLayout()) -> tuple[float, int]:
    """Certificates per second (best of three runs) and the last PDF's size."""
    render_certificate(next(documents(1, seals)), layout)  # fonts registered, seal decoded
    rates, size = [], 0
    for _ in range(3):
        start = time.perf_counter()
        for doc in documents(count, seals):
            size = len(render_certificate(doc, layout))
        rates.append(count / (time.perf_counter() - start))
    return max(rates), size


@contextmanager
def without_qr():
    """Certificates drawn without their verification QR code (caption and serial stay)."""
    with mock.patch.object(certificate_pdf, "draw_qr", lambda *args, **kwargs: None):
        yield


def rate_once(count: int, layout=PrintLayout()) -> tuple[float, int]:
    """Certificates per second of one pass over `count` documents, and the last PDF's size."""
    start, size = time.perf_counter(), 0
    for doc in documents(count):
        size = len(render_certificate(doc, layout))
    return count / (time.perf_counter() - start), size


def with_and_without_qr(count: int, passes: int = 3) -> tuple[float, float, int, int]:
    """Best rates with and without the QR, passes interleaved (so that a busy moment of a
    shared machine falls on both), and the PDFs' sizes."""
    render_certificate(next(documents(1)))  # fonts registered
    with_qr, plain, size, plain_size = 0.0, 0.0, 0, 0
    for _ in range(passes):
        rate, size = rate_once(count)
        with_qr = max(with_qr, rate)
        with without_qr():
            rate, plain_size = rate_once(count)
        plain = max(plain, rate)
    return with_qr, plain, size, plain_size


def microseconds(function, repeat: int = 2000) -> float:
    function()
    start = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - start) / repeat * 1e6


def empty_pdf(draw) -> float:
    """ms to make a one-page PDF holding what `draw` puts on the canvas."""
    def once():
        canvas = Canvas(io.BytesIO(), pageCompression=1)
        draw(canvas)
        canvas.showPage()
        canvas.save()
    return microseconds(once, 100) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()

    rate, size = per_second(args.count)
    print(f"full layout, QR + kai subset:  {rate:6.0f} certificates/s "
          f"({1000 / rate:.2f} ms each, {size / 1024:.0f} KB)")
    preprinted, size = per_second(args.count, layout=PrintLayout(preprinted=True))
    print(f"pre-printed layout:            {preprinted:6.0f} certificates/s "
          f"({1000 / preprinted:.2f} ms each, {size / 1024:.0f} KB)")
    start = time.perf_counter()
    batch = render_batch(documents(args.count))
    elapsed = time.perf_counter() - start
    print(f"one {args.count}-page PDF:           {args.count / elapsed:6.0f} pages/s "
          f"({len(batch) / 1024:.0f} KB in all)")

    seal = red_seal(600)
    images._cache.clear()
    start = time.perf_counter()
    images.stamp(seal)
    decode_ms = (time.perf_counter() - start) * 1000
    sealed, size = per_second(args.count, seals=(seal, seal))
    added = 1000 / sealed - 1000 / rate
    print(f"with a 600×600 RGBA seal on both issuers: {sealed:4.0f} certificates/s, "
          f"+{added:.2f} ms per PDF ({size / 1024:.0f} KB); decoded once in {decode_ms:.1f} ms")
    prepared = images.stamp(seal)
    reader = ImageReader(io.BytesIO(seal))
    baseline = empty_pdf(lambda canvas: None)
    ours = empty_pdf(lambda canvas: prepared.draw(canvas, 100, 100, 113, 113)) - baseline
    theirs = empty_pdf(lambda canvas: canvas.drawImage(reader, 100, 100, 113, 113,
                                                       mask="auto")) - baseline
    print(f"  the seal alone in a PDF: {ours:.2f} ms prepared once (Stamp), "
          f"{theirs:.2f} ms with reportlab's drawImage(ImageReader, mask='auto')")

    url = "https://certs.example.org/verify/2026-C-320100-000123-7?t=Xq3vT9kLm2Pa"
    matrix = qr_matrix(url)
    steps = {
        f"zxing-cpp encode (EC {EC_LEVEL})": microseconds(lambda: zxingcpp.create_barcode(
            url, zxingcpp.BarcodeFormat.QRCode, ec_level=EC_LEVEL)),
        "module matrix (incl. encode)": microseconds(lambda: qr_matrix(url)),
        "merged rectangles": microseconds(lambda: merged_rects(matrix)),
    }
    canvas = Canvas(io.BytesIO())
    steps["draw_qr on a canvas (all of it)"] = microseconds(
        lambda: draw_qr(canvas, url, 0, 0, 72), 500)
    print(f"QR code: {len(matrix)}×{len(matrix)} modules, {sum(map(sum, matrix))} dark, "
          f"{len(merged_rects(matrix))} rectangles")
    for name, value in steps.items():
        print(f"  {name:34} {value / 1000:.3f} ms")
    encodes = [microseconds(lambda: zxingcpp.create_barcode(
        url, zxingcpp.BarcodeFormat.QRCode, ec_level=EC_LEVEL), 500) for _ in range(5)]
    print(f"  zxing-cpp encode, median of 5 runs  {statistics.median(encodes) / 1000:.3f} ms")

if __name__ == "__main__":
    main()
