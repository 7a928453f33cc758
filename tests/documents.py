"""Test documents made on the spot: a real (minimal) PDF with a text layer, HTML, Markdown."""

from __future__ import annotations


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds `lines` (Helvetica, one line each)."""
    shown = " ".join(f"({_escape(line)}) '" for line in lines)
    content = f"BT /F1 11 Tf 72 740 Td 14 TL {shown} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return out


LEASE_LINES = [
    "Residential lease for apartment 4B.",
    "The lease runs for twelve months from March 1.",
    "Rent of 1450 dollars is due on the first day of each month.",
    "Pets are allowed with a deposit of 300 dollars.",
]

WIFI_HTML = """<!doctype html><html><head><title>Building info</title>
<style>body { color: red }</style><script>var secret = "not text";</script></head>
<body><h1>Welcome to Elm Court</h1><p>The guest wifi network is ElmGuest and the wifi password
is tulip-8812.</p><ul><li>Laundry room: basement</li><li>Trash day: Tuesday</li></ul></body></html>
"""

PACKING_MD = """# Packing list

## Clothes
- rain jacket
- hiking boots

## Gear
- headlamp and spare batteries
- water filter
"""
