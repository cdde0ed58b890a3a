"""The build step pyproject.toml cannot say: the message catalogues (`locales/`, edited in the
checkout) ship inside the package as `bot/locales`, compiled, so an installed bot speaks Russian
from any directory, and a read-only image needs no compile at start."""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LOCALES = Path(__file__).resolve().parent / "locales"


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's locales/ and compiles them there
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in sorted(LOCALES.glob("*/LC_MESSAGES/messages.po")):
            language = po_path.parent.parent.name
            target = Path(self.build_lib, "bot", "locales", language, "LC_MESSAGES")
            target.mkdir(parents=True, exist_ok=True)
            with po_path.open("rb") as fh:
                catalog = read_po(fh, locale=language)
            with (target / "messages.mo").open("wb") as fh:
                write_mo(fh, catalog)


setup(cmdclass={"build_py": BuildWithCatalogues})
