"""Fills Russian translations from a Python file holding `RU = {msgid: msgstr}`.

Usage: `python scripts/translate.py path/to/ru_texts.py`. Kept for translators who prefer to work
on a dict; the .po file stays the source of truth.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "locales" / "ru" / "LC_MESSAGES" / "messages.po"


def main(path: str) -> int:
    texts = runpy.run_path(path)["RU"]
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    unknown = [k for k in texts if k not in catalog]
    for msgid, msgstr in texts.items():
        if msgid in catalog:
            catalog[msgid].string = msgstr
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False, include_lineno=False)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"set {len(texts) - len(unknown)}, unknown {len(unknown)}, untranslated {len(missing)}")
    for m in missing:
        print("  MISSING:", repr(m)[:100])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
