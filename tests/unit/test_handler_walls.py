"""A wall inside the Telegram edge, read from the source: a handler module with a router shares
nothing through another router's module; shared pieces live in modules without a router (the
walls around the edge are in test_import_walls.py)."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function or TYPE_CHECKING."""
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def modules_under(folder: str) -> dict[str, Path]:
    return {module_name(p): p for p in sorted((BOT / folder).rglob("*.py"))}


def has_router(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "router" for t in node.targets)
        for node in tree.body
    )


def test_handler_modules_share_nothing_through_another_router() -> None:
    handlers = modules_under("handlers")
    routers = {name for name, path in handlers.items() if has_router(path)}
    crossings = []
    for name, path in handlers.items():
        is_gatherer = path.name == "__init__.py"  # gathers the routers of its own package
        for imported in imports_of(path) & routers:
            if imported == name:
                continue
            if is_gatherer and imported.rpartition(".")[0] == name:
                continue
            crossings.append(f"{name} imports {imported}")
    assert crossings == []


def test_the_walls_see_the_imports_they_guard() -> None:
    """The checks above read real imports: /connect's router imports its shared pieces, and
    the gatherer imports the routers."""
    handlers = modules_under("handlers")
    assert "bot.handlers.key_intake" in imports_of(handlers["bot.handlers.connect"])
    assert "bot.handlers.connect" in imports_of(handlers["bot.handlers"])
    assert has_router(handlers["bot.handlers.connect"])
    assert not has_router(handlers["bot.handlers.key_intake"])
