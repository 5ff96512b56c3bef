"""The conversion worker: ``python -m publisher.items.documents.worker DOCX OUTDIR MEMORY SECONDS``.

It caps its own address space and CPU time first, converts with mammoth, writes the document's pictures into
OUTDIR and prints ``{"html": ..., "images": [names]}`` as JSON on stdout.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

PICTURES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/bmp": "bmp", "image/webp": "webp"}


def limit(memory: int, seconds: int) -> None:
    """Cap this process: address space in bytes, CPU seconds (SIGXCPU past them, then SIGKILL)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))


def convert(docx: Path, outdir: Path) -> dict:
    """The document as HTML, its pictures saved as files named in the ``src`` of each ``<img>``."""
    import mammoth

    names: list[str] = []

    def picture(image) -> dict:
        kind = PICTURES.get(image.content_type)
        if kind is None:  # EMF/WMF and the like: a browser cannot show them
            return {"src": "", "alt": image.alt_text or ""}
        name = f"image-{len(names) + 1}.{kind}"
        with image.open() as data:
            (outdir / name).write_bytes(data.read())
        names.append(name)
        return {"src": name, "alt": image.alt_text or ""}

    with open(docx, "rb") as fh:
        result = mammoth.convert_to_html(fh, convert_image=mammoth.images.img_element(picture))
    return {"html": result.value, "images": names}


def main(argv: list[str]) -> int:
    docx, outdir, memory, seconds = Path(argv[0]), Path(argv[1]), int(argv[2]), int(argv[3])
    limit(memory, seconds)
    try:
        out = convert(docx, outdir)
    except MemoryError:
        print(json.dumps({"error": "memory"}))
        return 3
    except Exception as exc:  # noqa: BLE001 — a damaged file of any kind: the parent names it
        print(json.dumps({"error": "unreadable", "detail": type(exc).__name__}))
        return 2
    sys.stdout.write(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
