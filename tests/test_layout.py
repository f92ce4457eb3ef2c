"""The packages depend on each other one way: tests and benches import rig/, benches may import each other, tests
never import bench/; and everything is imported from the repository root as packages, with no sys.path set-up."""

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHES = sorted(path.stem for path in (ROOT / "bench").glob("*.py") if path.stem != "__init__")


def _modules(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def _imported(tree: ast.AST) -> set[str]:
    """Every module an import statement names: `import a.b` gives a.b, `from a import b` gives a and a.b."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _touches_sys_path(tree: ast.AST) -> list[int]:
    """Lines that read or change `sys.path` (under any name `sys` is imported as), or import `path` from sys."""
    sys_names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name == "sys"
    }
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "path":
            if isinstance(node.value, ast.Name) and node.value.id in sys_names:
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "sys":
            if any(alias.name == "path" for alias in node.names):
                lines.append(node.lineno)
    return lines


def test_the_checks_see_what_they_look_for():
    assert _imported(ast.parse("from bench.burst import percentile")) >= {"bench.burst"}
    assert _imported(ast.parse("import bench.compare as c")) == {"bench.compare"}
    assert _imported(ast.parse("from bench import burst")) >= {"bench"}
    assert _touches_sys_path(ast.parse("import sys\nsys.path.insert(0, '.')")) == [2]
    assert _touches_sys_path(ast.parse("import sys as s\nx = s.path")) == [2]
    assert _touches_sys_path(ast.parse("from sys import path")) == [1]
    assert _touches_sys_path(ast.parse("import os\nos.path.join('a')\n'sys.path'")) == []


def test_no_test_imports_a_benchmark():
    found = {}
    for path in _modules("tests"):
        names = _imported(ast.parse(path.read_text()))
        if benches := sorted(name for name in names if name == "bench" or name.startswith("bench.")):
            found[str(path.relative_to(ROOT))] = benches
    assert found == {}, "tests use rig/, never bench/"


def test_nothing_in_bench_tests_or_rig_touches_sys_path():
    found = {
        str(path.relative_to(ROOT)): lines
        for path in _modules("bench", "tests", "rig")
        if (lines := _touches_sys_path(ast.parse(path.read_text())))
    }
    assert found == {}, "import from the repository root (python -m bench.NAME; pytest's pythonpath) instead"


def test_every_benchmark_documents_its_usage_as_a_module():
    assert {"burst", "compare", "soak", "floor_app"} <= set(BENCHES)
    for name in BENCHES:
        docstring = ast.get_docstring(ast.parse((ROOT / "bench" / f"{name}.py").read_text())) or ""
        assert f"python -m bench.{name}" in docstring, name


def test_every_benchmark_imports_as_a_module_of_bench_from_the_repository_root():
    """In a fresh interpreter, as `python -m bench.NAME` would: no PYTHONPATH, no Slack settings (the floor app
    would build itself from them), and importing runs no benchmark (nothing printed)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith(("SLACK_", "IVS_KICK_"))}
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(f'bench.{name}')"
    result = subprocess.run(
        [sys.executable, "-c", code, *BENCHES], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and result.stdout == result.stderr == "", result.stderr + result.stdout
