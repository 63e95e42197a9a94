"""What a zip bomb costs a worker: a ~1 MB .docx whose image part unpacks to 1 GB, read as a
protocol upload, in a fresh process each time; peak memory (max RSS) and time until the answer.

For comparison the same process reads an ordinary protocol .docx of the same text.
Run: `cd bench && ../.venv/bin/python office_limits.py [megabytes unpacked, default 1024]`;
`BENCH_CODE=/path/to/another/checkout` measures that checkout's reader instead.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
# The checkout whose reader is measured (another one, e.g. before a change: BENCH_CODE=path).
CODE = Path(os.environ.get("BENCH_CODE") or ROOT)

CHILD = """
import resource, sys, time
sys.path.insert(0, {code!r})
from tracker.protocols.text import ProtocolInputError, extract_text
data = open({path!r}, "rb").read()
started = time.perf_counter()
try:
    extract_text("protocol.docx", data)
    outcome = "read"
except ProtocolInputError as error:
    outcome = "refused: " + str(error)[:60]
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{{outcome}} | {{elapsed * 1000:.0f}} ms | max RSS {{peak:.0f}} MB")
"""


def docx(text: str) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


IMAGE_REL = (
    '<Relationship Id="rIdBomb" Target="media/image1.png" Type="http://schemas.openxmlformats'
    '.org/officeDocument/2006/relationships/image"/></Relationships>'
)


def bomb(data: bytes, megabytes: int) -> bytes:
    """The document with an image part that it refers to (so a reader loads it), which packs
    to about a thousandth of its size."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "word/_rels/document.xml.rels":
                content = content.replace(b"</Relationships>", IMAGE_REL.encode())
            if info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"<Default ", b'<Default Extension="png" ContentType="image/png"/><Default ', 1
                )
            archive.writestr(info.filename, content)
        with archive.open("word/media/image1.png", "w", force_zip64=True) as part:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(megabytes):
                part.write(chunk)
    return out.getvalue()


def run(label: str, data: bytes) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{label}.docx"
    path.write_bytes(data)
    code = CHILD.format(code=str(CODE), path=str(path))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"{label:<10} {len(data) / 1024:>8.0f} KB | {result}")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    text = "РЕШИЛИ:\n1. Руководителям ОО провести педсовет в срок до 27.02.2023."
    plain = docx(text)
    run("plain", plain)
    run("bomb", bomb(plain, megabytes))


if __name__ == "__main__":
    main()
