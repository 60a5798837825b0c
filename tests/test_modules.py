"""The exported modules stand on their own: a name used in an exported cell but defined only in a notebook's
unexported cells (an import, a helper) works in the lesson and fails for everyone who imports the package."""
from pathlib import Path

from pyflakes.api import checkPath
from pyflakes.messages import UndefinedName, UndefinedExport, UndefinedLocal
from pyflakes.reporter import Reporter

import backprop_course

PKG = Path(backprop_course.__file__).parent


class Collect(Reporter):
    "Keep pyflakes' messages instead of printing them."
    def __init__(self): self.messages = []
    def flake(self, message): self.messages.append(message)
    def syntaxError(self, filename, msg, lineno, offset, text): self.messages.append(f'{filename}:{lineno}: {msg}')
    def unexpectedError(self, filename, msg): self.messages.append(f'{filename}: {msg}')


def undefined_names(path):
    r = Collect()
    checkPath(str(path), r)
    return [str(m) for m in r.messages if isinstance(m, (str, UndefinedName, UndefinedExport, UndefinedLocal))]


def test_no_undefined_names_in_exported_modules():
    found = [m for p in sorted(PKG.rglob('*.py')) for m in undefined_names(p)]
    assert not found, 'names used but never defined in the exported code: ' + '; '.join(found)


def test_the_check_finds_an_undefined_name(tmp_path):
    "The check can fail: `np` used without `import numpy as np` (as a notebook with numpy imported elsewhere would export)."
    f = tmp_path / 'mod.py'
    f.write_text('import torch\ndef best(v): return int(np.argmin(v))\n')
    assert any("undefined name 'np'" in m for m in undefined_names(f))
