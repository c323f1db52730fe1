"""Every `>>>` example in the package runs as a doctest; examples that need more are fenced code."""
import doctest
import importlib
import pkgutil

import pytest

import kerasknow


# components/, pipelines/ and serving/ install as these sub-packages from their own folders.
_ROOTS = ("kerasknow", "kerasknow.components", "kerasknow.pipelines", "kerasknow.serving")


def _modules():
    names = set()
    for root in _ROOTS:
        package = importlib.import_module(root)
        names.add(root)
        for info in pkgutil.walk_packages(package.__path__, root + "."):
            if not info.name.endswith("_test"):
                names.add(info.name)
    return sorted(names)


def _modules_with_examples():
    return [name for name in _modules() if ">>>" in _source(name)]


def test_no_example_is_skipped():
    skipped = [name for name in _modules() if "doctest: +SKIP" in _source(name)]
    assert not skipped, f"Examples that never run (make them run, or fence them as code): {skipped}"


def _source(name):
    spec = importlib.util.find_spec(name)
    if not (spec and spec.origin and spec.origin.endswith(".py")):
        return ""
    with open(spec.origin, encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize("module_name", _modules_with_examples())
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, module_name) if t.examples]
    assert tests, f"{module_name} has '>>>' text but no doctest was found in it"
    for test in tests:
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples failed in {module_name}"
