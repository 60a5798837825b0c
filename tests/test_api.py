"""One API across the lessons: a public name means one thing everywhere in the package, and every public function
or class says what it does."""
import importlib, inspect, pkgutil

import backprop_course


def course_modules():
    "Every module of the package except the exercise solutions (whose names are the learner's, by design)."
    for m in pkgutil.walk_packages(backprop_course.__path__, 'backprop_course.'):
        if m.name.startswith('backprop_course.solutions') or m.name.endswith('._modidx'): continue
        yield importlib.import_module(m.name)


def test_one_contract_per_public_name():
    "A name exported by two modules must be the same object (a later lesson imports it, it does not redefine it)."
    seen, clashes = {}, []
    for mod in course_modules():
        for name in getattr(mod, '__all__', []):
            obj = getattr(mod, name)
            if name in seen and seen[name][1] is not obj and not (not callable(obj) and seen[name][1] == obj):
                clashes.append(f'{name}: {seen[name][0]} and {mod.__name__}')
            seen.setdefault(name, (mod.__name__, obj))
    assert not clashes, 'public names defined twice with different contracts: ' + '; '.join(clashes)


def test_public_functions_have_docstrings():
    missing = [f'{mod.__name__}.{n}' for mod in course_modules() for n in getattr(mod, '__all__', [])
               if (inspect.isfunction(getattr(mod, n)) or inspect.isclass(getattr(mod, n))) and not inspect.getdoc(getattr(mod, n))]
    assert not missing, f'public names without a docstring: {missing}'
