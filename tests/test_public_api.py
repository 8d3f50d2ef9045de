"""The public API: what each package exports, and what imports without torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Importing torch (or anything under it) raises in the child process.
BLOCK_TORCH = """
import sys
class _NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is blocked in this test")
sys.meta_path.insert(0, _NoTorch())
"""


def run_without_torch(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_TORCH + code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_specs_rules_spaces_and_baselines_import_without_torch():
    process = run_without_torch(
        "import search_spaces.spec, search_spaces.rules, search_spaces, baselines\n"
        "from search_spaces import MnasSpace, encode, decode, scale\n"
        "b0 = baselines.get('efficientnet_b0')\n"
        "assert decode(encode(b0)) == b0\n"
        "b1 = baselines.official_family()[1].apply(b0)\n"
        "assert MnasSpace(b0).params_of(b0)\n"
        "assert 'torch' not in sys.modules\n"
        "print(b1.resolution)\n"
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == "240"


def test_build_model_loads_torch_lazily():
    process = run_without_torch(
        "import search_spaces\n"
        "try:\n"
        "    search_spaces.build_model\n"
        "except ImportError as error:\n"
        "    print('lazy:', error)\n"
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.startswith("lazy: torch is blocked")


def test_search_spaces_exports():
    import search_spaces

    expected = {
        "ArchSpec", "BlockSpec", "encode", "decode", "to_json", "from_json", "build_model",
        "MnasSpace", "round_filters", "round_repeats", "round_resolution", "scale",
        "compound", "flops_factor", "grid_points", "formula_family",
    }  # fmt: skip
    assert expected <= set(search_spaces.__all__)
    for name in search_spaces.__all__:
        assert getattr(search_spaces, name) is not None


def test_nas_exports_the_entry_points():
    import nas

    expected = {
        "run_search", "SearchConfig", "ProxyConfig", "run_scale", "ScaleConfig",
        "load_results", "make_report", "run_export", "ExportConfig",
    }  # fmt: skip
    assert expected <= set(nas.__all__)
    for name in nas.__all__:
        assert callable(getattr(nas, name)), name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        nas.nope  # noqa: B018


def test_every_package_declares_all():
    import importlib

    packages = [
        "search_spaces", "baselines", "nas", "nas.data", "nas.train", "nas.cost",
        "nas.results", "nas.search", "nas.scale", "nas.report", "nas.export",
    ]  # fmt: skip
    for name in packages:
        assert importlib.import_module(name).__all__, name


def test_every_module_is_small_and_says_its_job():
    for path in sorted([*ROOT.glob("nas/**/*.py"), *ROOT.glob("search_spaces/*.py"),
                        *ROOT.glob("baselines/*.py")]):  # fmt: skip
        text = path.read_text()
        assert len(text.splitlines()) <= 460, f"{path.relative_to(ROOT)} has grown past ~450"
        if path.name == "__main__.py":
            continue
        assert text.startswith('"""') and len(text.split("\n", 1)[0]) > 10, path


def test_nas_lists_its_public_names_alike_everywhere():
    """nas/__init__.py names each public object three times (for type checkers, for the lazy
    loader, in __all__): they must agree."""
    import ast

    import nas

    tree = ast.parse((ROOT / "nas" / "__init__.py").read_text())
    checked = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for statement in node.body
        for alias in statement.names
    }
    assert set(nas.__all__) == set(nas._PUBLIC) == checked
