"""Render the example certificate shown in docs/certificates.md.

    python bench/render_example_certificate.py [--out docs/certificate-example.png] [--dpi 100]

Draws a red round seal with Pillow (two rings and a star on a transparent background), renders
the full layout for two issuers with pdftoppm, and writes the PNG; it also writes the same
certificate in the pre-printed layout and the calibration page as PDFs to /tmp.
"""

import argparse
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from competitions.certificates.pdf import (  # noqa: E402
    CertificateDocument,
    PrintLayout,
    chinese_date,
    render_calibration_page,
    render_certificate,
)
from competitions.demo.seals import red_seal  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def example(*seals: bytes) -> CertificateDocument:
    return CertificateDocument(
        title="获奖证书",
        holder="张堃",
        body="在2026年南京市职工职业技能大赛焊工（职工组）中荣获一等奖、金牌，特发此证。",
        issuers=("南京市总工会", "南京市人力资源和社会保障局"),
        date_text=chinese_date(date(2026, 12, 6)),
        serial="2026-C-320100-0000123-8",
        verify_url="https://certs.example.org/verify/2026-C-320100-0000123-8?t=86J7F6N5XWJ2RE6CJ24R",
        code="86J7-F6N5-XWJ2-RE6C-J24R",
        seals=seals,
    )


def to_png(pdf: bytes, out: Path, dpi: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "certificate.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(source),
                        str(Path(scratch) / "page")], check=True)
        image = Image.open(Path(scratch) / "page.png")
        # A palette PNG keeps the example small; the page has few colours besides the seal.
        image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(
            out, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "certificate-example.png")
    parser.add_argument("--dpi", type=int, default=100)
    args = parser.parse_args()
    doc = example(red_seal(name="南京市总工会"), red_seal(name="南京市人力资源和社会保障局"))
    to_png(render_certificate(doc), args.out, args.dpi)
    print(f"{args.out}: {args.out.stat().st_size / 1024:.0f} KB")
    extras = {
        "certificate-example.pdf": render_certificate(doc),
        "certificate-preprinted.pdf": render_certificate(
            doc, PrintLayout(preprinted=True, offsets_mm={"holder": (3, -2)})),
        "certificate-calibration.pdf": render_calibration_page(
            PrintLayout(preprinted=True, offsets_mm={"holder": (3, -2)})),
    }
    for name, pdf in extras.items():
        path = Path(tempfile.gettempdir()) / name
        path.write_bytes(pdf)
        print(f"{path}: {len(pdf) / 1024:.0f} KB")


if __name__ == "__main__":
    main()
