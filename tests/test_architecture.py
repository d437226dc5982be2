"""The layout's rules, read from the code's own imports: no cycles, and the product never imports the harness."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# folder → import name: the folders the user asked for, installed as one package `nianbao`
PACKAGES = {"extractor": "nianbao", "schemas": "nianbao.schemas", "eval": "nianbao.eval", "prompts": "nianbao.prompts"}
HARNESS_COMMANDS = "nianbao.cli"  # its command groups import eval/commands.py when a harness command is named


def module_names() -> dict[str, Path]:
    out = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = (*package.split("."), *path.relative_to(ROOT / folder).with_suffix("").parts)
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(path: Path, modules: dict[str, Path]) -> list[tuple[str, bool]]:
    """(module imported, at module level?) for every import of our own modules in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module for a in node.names
            ]
        found += [(n, id(node) in top) for n in names if n in modules]
    return found


def graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: {m for m, _ in imports(path, modules)} - {name} for name, path in modules.items()}


OPTIONAL = {"nianbao.ingest.ocr": "rapidocr_onnxruntime", "nianbao.engine": "distributed"}  # modules of an extra


def test_every_module_imports():
    for name in module_names():
        extra = OPTIONAL.get(name)
        if extra and importlib.util.find_spec(extra) is None:
            continue  # its extra is not installed: the product never imports it then
        importlib.import_module(name)


def test_the_import_graph_has_no_cycle():
    edges = graph()
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            pytest.fail("import cycle: " + " → ".join([*path[path.index(node) :], node]))
        if node in done:
            return
        for nxt in sorted(edges[node]):
            visit(nxt, [*path, node])
        done.add(node)

    for node in sorted(edges):
        visit(node, [])


def test_the_product_never_imports_the_harness():
    modules = module_names()
    for name, path in modules.items():
        if name.startswith("nianbao.eval"):
            continue
        harness = [(m, top) for m, top in imports(path, modules) if m.startswith("nianbao.eval")]
        if name == HARNESS_COMMANDS:
            assert not any(top for _, top in harness), f"{name} imports the harness at module level"
        else:
            assert not harness, f"{name} imports the harness: {harness}"


def test_the_command_line_offers_the_harness_commands_but_extract_never_loads_the_harness():
    """`eval`, `bench` and `model record` live in eval/commands.py; `nianbao extract` runs without importing it."""
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from nianbao.cli import app\n"
        f"run = CliRunner().invoke(app, ['extract', {str(ROOT / 'eval' / 'corpus' / 'pingtan-2022.txt')!r}, '--mode', 'rules'])\n"
        "assert run.exit_code == 0, run.output\n"
        "print(sorted(m for m in sys.modules if m.startswith('nianbao.eval')))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
    from nianbao.cli import app
    from typer.testing import CliRunner

    top = CliRunner().invoke(app, ["--help"]).output
    assert all(f"│ {name} " in top for name in ("extract", "check", "bench", "eval", "model"))
    for args in (["eval", "--help"], ["bench", "--help"], ["model", "record", "--help"]):
        run = CliRunner().invoke(app, args)
        assert run.exit_code == 0 and f"Usage: root {' '.join(args[:-1])} [OPTIONS]" in run.output, args
    assert "--baseline" in CliRunner().invoke(app, ["eval", "--help"]).output


def test_the_public_api(tmp_path):
    from nianbao import Options, Report, extract, run_checks

    page = ROOT / "eval" / "corpus" / "pingtan-2022.txt"
    from_path = extract(page)
    from_text = extract(page.read_text(encoding="utf-8"), Options(mode="rules"))
    assert isinstance(from_path, Report) and from_path.verdict.value == "verified"
    assert from_text.cells == from_path.cells
    assert all(c.status == "pass" for c in run_checks(from_path.cells) if c.severity == "hard")


def test_the_shells_model_settings_never_reach_a_test():
    """conftest.py's autouse fixture: a developer's key or endpoint would send tests to a live model."""
    from conftest import TEST_SWITCHES

    leaked = [n for n in os.environ if n.startswith("OPENAI_") or (n.startswith("NIANBAO_") and n not in TEST_SWITCHES)]
    assert leaked == []
