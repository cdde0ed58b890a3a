"""Extracts every translatable text from bot/ and merges it into locales/*/messages.po.

Run after changing texts: `python scripts/update_catalogues.py`; then translate the new empty
entries in locales/ru. Existing translations are kept; texts no longer used are dropped.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "__": None,
    "lazy_gettext": None,
    "N_": None,
}


def extract() -> Catalog:
    template = Catalog(project="WB Pulse", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT / "bot"), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        template.add(
            message, None, [(f"bot/{filename}", lineno)], auto_comments=comments, context=context
        )
    return template


def main() -> int:
    template = extract()
    for po_path in sorted((ROOT / "locales").glob("*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with po_path.open("wb") as fh:
            write_po(fh, catalog, width=0, omit_header=False, include_lineno=False)
        missing = [m.id for m in catalog if m.id and not m.string]
        print(f"{po_path.relative_to(ROOT)}: {len(catalog)} texts, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
