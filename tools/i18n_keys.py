"""What the library shows a reader and must be translated: the keys of bp_lib/locale/<lang>.json.

    python tools/i18n_keys.py zh       # print the keys the Chinese catalogue lacks

Three kinds: the literal first argument of every ``tr(...)`` call in bp_lib, the hint of every
recognised mistake of every exercise, and the module-level message templates passed to ``tr``
by name.  (Figure words are found by drawing them: a Chinese notebook that draws an
untranslated one shows a ``MissingTranslation`` warning, which the notebook tests refuse.)
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bp_lib"


def _literal(node):
    """The string of a str constant or an implicit concatenation of them, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def tr_literals():
    """``{text: "file:line"}`` of every ``tr("…")`` call and every ``tr(NAME, …)`` whose NAME is
    a module-level string constant."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {t.id: _literal(node.value) for node in tree.body if isinstance(node, ast.Assign)
                     for t in node.targets if isinstance(t, ast.Name) and _literal(node.value)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "tr" and node.args:
                arg = node.args[0]
                text = _literal(arg)
                if text is None and isinstance(arg, ast.Name):
                    text = constants.get(arg.id)
                if text is None and isinstance(arg, ast.IfExp):
                    for branch in (arg.body, arg.orelse):
                        if _literal(branch):
                            found.setdefault(_literal(branch), f"{path.relative_to(ROOT)}:{node.lineno}")
                    continue
                if text is not None:
                    found.setdefault(text, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def hints():
    """``{hint: exercise id}`` of every recognised mistake (and the checker's own)."""
    from bp_lib.exercises import REGISTRY, _load_all
    from bp_lib.exercises.core import GENERIC_ERROR_MISTAKES

    _load_all()
    found = {m.hint: "core" for m in GENERIC_ERROR_MISTAKES}
    for ex in REGISTRY.values():
        for m in ex.mistakes:
            found.setdefault(m.hint, ex.id)
    return found


def error_templates():
    from bp_lib.exercises.core import ERROR_TEMPLATES

    return {t: "bp_lib/exercises/core.py ERROR_TEMPLATES" for t in ERROR_TEMPLATES}


def keys():
    return {**tr_literals(), **hints(), **error_templates()}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    lang = argv[0] if argv else "zh"
    table = json.loads((PACKAGE / "locale" / f"{lang}.json").read_text(encoding="utf-8"))
    missing = {k: v for k, v in keys().items() if k not in table}
    print(json.dumps(missing, ensure_ascii=False, indent=1))
    print(f"{len(missing)} missing", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
