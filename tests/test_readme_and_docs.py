"""Every Python block of README.md and docs/*.rst runs, each in a fresh namespace.

Sybil finds the blocks: ```` ```python ```` fences in Markdown, ``.. code-block::
python`` and ``>>>`` doctests in reStructuredText. A test is one block (a run of
adjacent ``>>>`` lines counts as one), evaluated in a namespace of its own, in a
temporary working directory, so that no block leans on another. A block that needs
an optional package is preceded by a skip directive, hidden in the rendered page:
``<!-- skip: next if(missing("skops"), reason="...") -->`` in Markdown and
``.. skip: next if(missing("skops"), reason="...")`` in reStructuredText.
"""

import importlib.util
from pathlib import Path

import pytest

sybil = pytest.importorskip("sybil", reason="running the documentation needs sybil")
from sybil.evaluators.doctest import DocTestEvaluator  # noqa: E402
from sybil.evaluators.skip import Skipper  # noqa: E402
from sybil.parsers import markdown, rest  # noqa: E402

ROOT = Path(__file__).parent.parent
# docs/*.rst only: not docs/_build, docs/generated or docs/auto_examples, nor the
# timing page sphinx-gallery writes into docs/
GENERATED = {"sg_execution_times.rst"}
DOCUMENTS = [
    ROOT / "README.md",
    *sorted(p for p in (ROOT / "docs").glob("*.rst") if p.name not in GENERATED),
]
PARSERS = {
    ".md": lambda: [markdown.PythonCodeBlockParser(), markdown.SkipParser()],
    ".rst": lambda: [
        rest.PythonCodeBlockParser(),
        rest.DocTestParser(),
        rest.SkipParser(),
    ],
}


def missing(*modules):
    """True if any of ``modules`` cannot be imported; for skip conditions."""
    for name in modules:
        try:
            if importlib.util.find_spec(name) is None:
                return True
        except ImportError:  # a parent package is missing
            return True
    return False


def version_below(package, version):
    """True if ``package`` is older than ``version``; for skip conditions."""
    from importlib.metadata import version as installed

    from sklearn.utils.fixes import parse_version

    return parse_version(installed(package)) < parse_version(version)


HELPERS = {"missing": missing, "version_below": version_below}


def _parse(path):
    return sybil.Document.parse(str(path), *PARSERS[path.suffix]())


def _blocks(document):
    """The document's examples grouped into blocks, each with its skip directives.

    Returns a list of lists of examples: the skip directives just before a block,
    then the block (one code block, or a run of adjacent doctest examples).
    """
    blocks, skips, last = [], [], None
    for example in document.examples():
        evaluator = example.region.evaluator
        if isinstance(evaluator, Skipper):
            skips.append(example)
            continue
        doctest = isinstance(evaluator, DocTestEvaluator)
        adjacent = (
            last is not None
            and doctest
            and isinstance(last.region.evaluator, DocTestEvaluator)
            and not skips
            and not document.text[last.end : example.start].strip()
        )
        if adjacent:
            blocks[-1].append(example)
        else:
            blocks.append([*skips, example])
        skips, last = [], example
    return blocks


def _block_params():
    for path in DOCUMENTS:
        for index, block in enumerate(_blocks(_parse(path))):
            yield pytest.param(
                path, index, id=f"{path.relative_to(ROOT)}:{block[-1].line}"
            )


@pytest.mark.parametrize("path, index", list(_block_params()))
def test_block_runs(path, index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks may write files (model.skops, ...)
    block = _blocks(_parse(path))[index]
    namespace = block[0].namespace
    namespace.update(HELPERS)  # for the skip directives' conditions
    for example in block:
        if not isinstance(example.region.evaluator, Skipper):
            for name in HELPERS:  # the block itself starts from an empty namespace
                namespace.pop(name, None)
        example.evaluate()


def test_blocks_are_found():
    # the collector sees README.md and the pages, not generated files
    names = {path.name for path in DOCUMENTS}
    assert {"README.md", "index.rst", "getting_started.rst"} <= names
    assert all(path.parent in {ROOT, ROOT / "docs"} for path in DOCUMENTS)
    assert not names & GENERATED
    assert len(_blocks(_parse(ROOT / "README.md"))) >= 5


def test_blocks_have_fresh_namespaces(tmp_path):
    # a name defined by one block is not seen by the next
    page = tmp_path / "page.rst"
    page.write_text(
        ".. code-block:: python\n\n   x = 1\n\n"
        ".. code-block:: python\n\n   x\n\n"
        ".. skip: next if(missing('no_such_module'), reason='no module')\n\n"
        ".. code-block:: python\n\n   raise AssertionError\n\n"
        ">>> y = 2\n>>> y\n2\n"
    )
    blocks = _blocks(_parse(page))
    assert [len(block) for block in blocks] == [1, 1, 2, 2]
    fresh = [_blocks(_parse(page))[i] for i in range(4)]
    fresh[0][0].evaluate()
    with pytest.raises(NameError):
        fresh[1][0].evaluate()
    fresh[2][0].namespace["missing"] = missing
    with pytest.raises(Exception, match="no module"):
        for example in fresh[2]:
            example.evaluate()
    for example in fresh[3]:
        example.evaluate()
