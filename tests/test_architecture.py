"""clinic.domain holds pure rules: stdlib, zoneinfo and dateutil only, and no reading of the clock."""

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parent.parent / "clinic" / "domain"
ALLOWED_THIRD_PARTY = {"dateutil"}
# The feed renderer builds RFC 5545 text from plain data with icalendar; no other domain module may.
ALLOWED_PER_MODULE = {"ical.py": {"icalendar"}}
CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}


def _imports(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            names.append("clinic.domain")  # relative imports stay inside the package
    return names


def _clock_reads(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        is_name_attribute = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        if is_name_attribute and (node.value.id, node.attr) in CLOCK_READS:
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_domain_imports_only_stdlib_zoneinfo_and_dateutil():
    files = sorted(DOMAIN.rglob("*.py"))
    assert files
    offenders = []
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        for name in _imports(tree):
            top = name.split(".")[0]
            allowed = ALLOWED_THIRD_PARTY | ALLOWED_PER_MODULE.get(path.name, set())
            if name.startswith("clinic.domain") or top in sys.stdlib_module_names or top in allowed:
                continue
            offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_domain_never_reads_the_clock():
    offenders = []
    for path in sorted(DOMAIN.rglob("*.py")):
        for call in _clock_reads(ast.parse(path.read_text())):
            offenders.append(f"{path.name}: {call}")
    assert offenders == []


def test_the_check_catches_an_outer_import(tmp_path):
    tree = ast.parse("from flask import current_app\nimport sqlalchemy\nfrom clinic.models import Patient\n")
    names = _imports(tree)
    outer = [
        n
        for n in names
        if n.split(".")[0] not in sys.stdlib_module_names and not n.startswith("clinic.domain")
    ]
    assert outer == ["flask", "sqlalchemy", "clinic.models"]
    assert _clock_reads(ast.parse("x = datetime.now()")) == ["datetime.now"]
