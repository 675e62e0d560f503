"""pos.printing stays plain Python: no web framework, no database."""
from __future__ import annotations

import ast
from pathlib import Path

import pos.printing

FORBIDDEN = ("flask", "flask_babel", "flask_login", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "jinja2")


def test_no_printing_module_imports_flask_or_a_database():
    package = Path(pos.printing.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
