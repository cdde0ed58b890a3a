"""Every text the bot can show exists in Russian, and the catalogues compile."""

import importlib.util
from pathlib import Path

from babel.messages.pofile import read_po

from bot.i18n import compile_catalogues, language_for, locales_dir

ROOT = Path(__file__).resolve().parents[2]


def _extract():
    spec = importlib.util.spec_from_file_location("uc", ROOT / "scripts" / "update_catalogues.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.extract()


def test_every_text_in_the_code_has_a_russian_translation():
    with (locales_dir() / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        ru = read_po(fh)
    missing = [m.id for m in _extract() if m.id and (m.id not in ru or not ru[m.id].string)]
    assert missing == []


def test_catalogues_compile(tmp_path):
    import shutil

    shutil.copytree(locales_dir(), tmp_path / "locales", ignore=shutil.ignore_patterns("*.mo"))
    built = compile_catalogues(tmp_path / "locales")
    assert {p.parent.parent.name for p in built} == {"en", "ru"}


def test_language_choice_prefers_the_stored_one():
    assert language_for("en", "ru") == "en"
    assert language_for(None, "uk") == "ru"
    assert language_for(None, "kk") == "ru"
    assert language_for(None, "de") == "en"
    assert language_for(None, None) == "en"
