"""The bottle id on a take-home label as a QR code (segno, already the two-factor QR's library): inline SVG, drawn
here, scannable by the window's hand scanner, which types the id back into the check-in form."""

import segno


def bottle_qr(code: str) -> segno.QRCode:
    """The QR code of a bottle id: the id alone (upper-case letters and digits: QR's alphanumeric mode), error
    correction at least level M (segno raises it while the symbol stays the same size), so that a worn or wet label
    still scans."""
    return segno.make_qr(code, error="m")


def bottle_qr_svg(code: str) -> str:
    return bottle_qr(code).svg_inline(scale=3, border=2, dark="#000", light="#fff", title=f"Bottle {code}")
