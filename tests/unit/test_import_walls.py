"""The import graph's walls (issue 13), read from the source with `ast`, so a new import that
breaks one fails here before anyone reads the diff:

- no circle between bot's modules, counting imports inside functions (a function-level import
  only hides a circle from the interpreter); imports made only for type checking are left out
  of this one (they never run), but not out of the walls below;
- the store (bot/store) never imports WB's package, notify, the handlers, reports or sync: it
  stores the project's own rows, and everything else reads and writes through it;
- the row shapes WB's models and the store share (bot.rows) import nothing of bot's, so both
  may import them;
- bot/reports computes without I/O: it never holds the database (bot.store.db) nor awaits;
- neither the handlers nor notify import bot.app: they are given the services they use.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # a bot module it imports
    line: int
    typing_only: bool  # under `if TYPE_CHECKING:`

    def __str__(self) -> str:
        return f"{self.module} -> {self.target} (line {self.line})"


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_of(p): p for p in sorted(BOT.rglob("*.py"))}


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module a `from ... import` reads from (relative imports included)."""
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not _is_package(importer):
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _targets(importer: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The bot modules an import statement loads: the module itself, a submodule named in
    `from package import name`, and the packages above them (their __init__ runs first)."""
    found: list[str] = []
    if isinstance(node, ast.Import):
        found = [alias.name for alias in node.names]
    else:
        source = _resolve(importer, node)
        found = [source]
        found += [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in MODULES]
    own = set()
    parts = importer.split(".")
    for i in range(1, len(parts) + 1):
        own.add(".".join(parts[:i]))
    for name in found:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            module = ".".join(parts[:i])
            if module in MODULES and module not in own:
                yield module


def _typing_blocks(tree: ast.AST) -> set[int]:
    """The ids of the nodes inside `if TYPE_CHECKING:` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                inside |= {id(n) for n in ast.walk(child)}
    return inside


def imports() -> list[Import]:
    """Every import of a bot module by a bot module, wherever it stands (module level, inside
    functions, under `if TYPE_CHECKING:`)."""
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        typing_only = _typing_blocks(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found += [
                    Import(module, target, node.lineno, id(node) in typing_only)
                    for target in _targets(module, node)
                ]
    return found


IMPORTS = imports()


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def crossings(importers: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        str(i)
        for i in IMPORTS
        if _under(i.module, importers) and any(_under(i.target, f) for f in forbidden)
    )


def cycles(edges: list[Import] = IMPORTS, modules: Iterable[str] = MODULES) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted, over
    the imports that run."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for i in edges:
        if not i.typing_only:
            graph[i.module].add(i.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _edges(module: str, code: str) -> set[tuple[str, bool]]:
    tree = ast.parse(code)
    typing_only = _typing_blocks(tree)
    return {
        (target, id(node) in typing_only)
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for target in _targets(module, node)
    }


def test_the_walk_sees_every_kind_of_import() -> None:
    """A function-level import, `from package import module`, a relative import, the packages
    above a module and a type-checking import are all edges (else every wall below could pass
    vacuously)."""
    inside = "def f():\n    from bot.store import orders\n"
    assert _edges("bot.handlers.report", inside) == {
        ("bot.store", False),
        ("bot.store.orders", False),
    }
    assert _edges("bot.store.orders", "from .db import Database") == {("bot.store.db", False)}
    assert _edges("bot.sync.rows", "import bot.wb.models") == {
        ("bot.wb", False),
        ("bot.wb.models", False),
    }
    typing = "if TYPE_CHECKING:\n    from bot.wb.models import Order\n"
    assert _edges("bot.store.orders", typing) == {("bot.wb", True), ("bot.wb.models", True)}
    assert len(MODULES) > 40 and len(IMPORTS) > 200


def test_a_circle_is_found() -> None:
    """The circle check on a made-up graph: a -> b -> c -> a is one circle, d alone none."""
    made_up = [Import("a", "b", 1, False), Import("b", "c", 1, False), Import("c", "a", 1, False)]
    made_up += [Import("c", "d", 1, False), Import("d", "a", 1, True)]
    assert cycles(made_up, ["a", "b", "c", "d"]) == [["a", "b", "c"]]


def test_no_import_circles() -> None:
    assert cycles() == []


def test_the_store_imports_none_of_the_parts_above_it() -> None:
    forbidden = ("bot.wb", "bot.notify", "bot.handlers", "bot.reports", "bot.sync", "bot.app")
    assert crossings("bot.store", forbidden) == []


def test_the_shared_row_shapes_import_nothing_of_bots() -> None:
    assert crossings("bot.rows", ("bot",)) == []


def _awaits(module: str) -> list[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    return [
        f"{module} line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Await | ast.AsyncFor | ast.AsyncWith)
    ]


def test_reports_compute_without_io() -> None:
    """bot/reports takes the store's rows and returns numbers, texts and files: it never holds
    the database nor waits on anything but the render gate (a semaphore, bot.reports.gate)."""
    assert crossings("bot.reports", ("bot.store.db", "bot.wb", "bot.sync", "bot.app")) == []
    reports = [m for m in MODULES if _under(m, "bot.reports") and m != "bot.reports.gate"]
    assert [line for m in reports for line in _awaits(m)] == []


def test_handlers_and_notify_do_not_import_the_app() -> None:
    assert crossings("bot.handlers", ("bot.app",)) + crossings("bot.notify", ("bot.app",)) == []
