"""The tree is the architecture: each package imports only the layers below it, and no module
imports another in a circle (imports inside functions and under TYPE_CHECKING included)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "digitboard"

# What each layer may import besides itself; the command line (cli) is the top and may import
# every layer, and no layer imports it; the package's __main__ runs it. Every layer may import the package's own __init__ (its version and model path) and `paths`
# (what a path on the user's disk is, for one-line messages) and `platforms` (what differs by
# operating system): they import nothing of the project but `platforms`.
BASE = {"digitboard", "digitboard.paths", "digitboard.platforms"}
MAY_IMPORT = {
    "recognition": set(),
    "profile": {"recognition"},  # personal examples: the learner and its SQLite store
    "core": {"recognition"},
    "sessions": {"core", "recognition", "profile"},
    "training": {"recognition"},
    "window": {"core", "recognition", "sessions", "profile"},
    "web": {"core", "recognition", "sessions", "profile"},
    "cli": {"core", "recognition", "profile", "sessions", "training", "window", "web"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The digitboard modules `path` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "digitboard":
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names if f"{node.module}.{alias.name}" in known)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "digitboard")
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: imported_modules(path, set(paths)) - {name} for name, path in paths.items()}


def layer(module: str) -> str | None:
    """The layer a module belongs to, a package's __init__ included (`digitboard.cli` is the cli's)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in MAY_IMPORT else None


def test_every_package_is_a_known_layer():
    packages = {path.parent.name for path in PACKAGE.rglob("__init__.py")} - {"digitboard"}
    assert packages == set(MAY_IMPORT)


def test_layers_import_only_the_layers_below_them():
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if layer(module) and target not in BASE
        and layer(target) != layer(module) and layer(target) not in MAY_IMPORT[layer(module)]
    )
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_in_a_circle():
    graph = import_graph()
    cycles, state = [], {}

    def visit(module: str, stack: list[str]) -> None:
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                cycles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert not cycles, "\n".join(cycles)


def test_the_check_finds_a_circle_and_a_wrong_layer(tmp_path, monkeypatch):
    """The two checks above must be able to fail: a made-up tree with both faults."""
    (tmp_path / "digitboard" / "core").mkdir(parents=True)
    (tmp_path / "digitboard" / "recognition").mkdir()
    (tmp_path / "digitboard" / "core" / "a.py").write_text("from digitboard.core.b import x\n")
    (tmp_path / "digitboard" / "core" / "b.py").write_text("def f():\n    from digitboard.core import a\n")
    (tmp_path / "digitboard" / "recognition" / "c.py").write_text("from digitboard.core.a import y\n")
    (tmp_path / "digitboard" / "window").mkdir()
    (tmp_path / "digitboard" / "window" / "d.py").write_text("import digitboard.cli\n")
    monkeypatch.setattr(f"{__name__}.PACKAGE", tmp_path / "digitboard")
    graph = import_graph()
    assert "digitboard.core.b" in graph["digitboard.core.a"] and "digitboard.core.a" in graph["digitboard.core.b"]
    assert layer("digitboard.recognition.c") == "recognition" and "core" not in MAY_IMPORT["recognition"]
    # A layer that imports the command line (its package, not a module of it) runs back up.
    assert graph["digitboard.window.d"] == {"digitboard.cli"}
    assert layer("digitboard.cli") == "cli" and "cli" not in MAY_IMPORT["window"]


def test_the_session_schema_decodes_no_json_and_reads_no_file():
    """sessions/format.py is the schema alone: decoding JSON is sessions/stream.py (ijson, json),
    reading files sessions/files.py; each imports the one before it, never the other way."""
    graph = import_graph()
    assert not {name for name in graph["digitboard.sessions.format"] if name.startswith("digitboard.sessions")}
    assert "digitboard.sessions.format" in graph["digitboard.sessions.stream"]
    assert "digitboard.sessions.files" not in graph["digitboard.sessions.stream"]
    assert "digitboard.sessions.stream" in graph["digitboard.sessions.files"]
    schema = ast.parse((PACKAGE / "sessions" / "format.py").read_text())
    used = {ast.unparse(node) for node in ast.walk(schema) if isinstance(node, (ast.Attribute, ast.alias))}
    used |= {node.module for node in ast.walk(schema) if isinstance(node, ast.ImportFrom) and node.module}
    decoding = {"ijson", "json.loads", "json.JSONDecoder", "json.decoder", "json.scanner", "json.JSONDecodeError"}
    assert not {name for name in used if name.split("(")[0] in decoding or name.startswith("json.decoder.")}
