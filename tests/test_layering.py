"""Packages never reach upward (shared/ARCHITECTURE.md, "Packages"): every import of every module,
function-level and TYPE_CHECKING ones included, read from the source with `ast`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "speech", "dialogs", "telephony", "ivr")

# package → the packages it must never import, and why
FORBIDDEN = {
    "api": {
        "ivr": "settings are composed in ivr, not read from it",
        "telephony": "the API knows no Asterisk (the console's phone gets its dialer from ivr)",
    },
    "speech": {
        "ivr": "speech is a library of the call path",
        "dialogs": "what the robot says is handed in",
        "api": "speech knows no accounts",
        "telephony": "speech knows no calls or Asterisk",
    },
    "dialogs": {
        "ivr": "the backend and the channel are injected",
        "api": "dialogs talk to a Backend, not to the API",
        "telephony": "dialogs know no sockets",
    },
    "telephony": {
        "ivr": "telephony is a library of the call path",
        "api": "telephony knows no accounts",
        "dialogs": "telephony knows no dialogs",
    },
    "ivr": {},
}


def imported_modules(path: Path, package: str | None = None) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, relative ones resolved against its package,
    plus `importlib.import_module("…")` calls with a literal name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    if package is None:
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if node.module is None:  # `from . import numbers`: the modules are the names
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, module))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def modules_of(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_package_reaches_upward(package):
    wrong = []
    for path in modules_of(package):
        for line, module in imported_modules(path):
            top = module.partition(".")[0]
            if top in FORBIDDEN[package]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module} ({FORBIDDEN[package][top]})")
    assert not wrong, "\n".join(wrong)


def test_the_scan_sees_function_level_and_relative_imports(tmp_path):
    sample = tmp_path / "probe.py"
    sample.write_text(
        "from . import numbers\n"
        "def f():\n    from dialogs import prompts\n"
        "    import importlib\n    importlib.import_module('ivr.settings')\n"
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from api.settings import ApiSettings\n"
    )
    modules = {module for _, module in imported_modules(sample, package="speech")}
    assert {"speech.numbers", "dialogs", "ivr.settings", "api.settings"} <= modules


def test_no_cycle_between_the_api_commands():
    """`api.cli` registers the console's and the campaigns' commands; they must not import it back."""
    for name in ("api/console/cli.py", "api/campaign_cli.py"):
        assert not any(module == "api.cli" for _, module in imported_modules(ROOT / name)), name
