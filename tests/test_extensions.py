"""The book's Sphinx extensions (docs/_ext), tested on tiny fixture sites in seconds.

Fixture sites live in tests/sites/test-<name>/ and are built with
``sphinx.testing`` as Sphinx and pydata-sphinx-theme test their own
extensions; pure functions are tested directly.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import claimreport
import claimsource
import freshness
import sitemap


@pytest.fixture(scope="session")
def rootdir():
    return ROOT / "tests" / "sites"


# --- apilinks -------------------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="apilinks")
def test_api_role_links_each_framework(app):
    app.build()
    html = (Path(app.outdir) / "index.html").read_text()
    assert (
        'href="https://docs.pytorch.org/docs/stable/generated/torch.nn.Embedding.html"'
        in html
    )
    assert 'href="https://keras.io/api/layers/core_layers/embedding/"' in html
    assert 'href="https://www.tensorflow.org/api_docs/python/tf/IndexedSlices"' in html
    assert 'href="https://docs.python.org/3/library/re.html#re.findall"' in html
    assert ">Embedding</span>" in html  # the shown text, not the target
    assert app.warning.getvalue() == ""


@pytest.mark.sphinx("html", testroot="apilinks-unknown")
def test_api_role_refuses_a_name_it_cannot_place(app):
    app.build()
    assert (
        "no documentation address known for 'jax.numpy.take'" in app.warning.getvalue()
    )


# --- sitemap ----------------------------------------------------------------------------


def test_sitemap_lists_every_page_under_the_base_url():
    xml = sitemap.sitemap_xml("https://example.org/en/latest", ["index", "a/b"])
    assert "<loc>https://example.org/en/latest/index.html</loc>" in xml
    assert "<loc>https://example.org/en/latest/a/b.html</loc>" in xml


# --- claimsource ------------------------------------------------------------------------


def test_claim_links_get_the_line_of_their_check(tmp_path):
    checks = tmp_path / "src" / "claims.py"
    checks.parent.mkdir()
    checks.write_text('"""Doc."""\n\n\n@claim("x.y")\ndef y_check():\n    pass\n')
    html = (
        '<a href="https://h/r/blob/main/src/claims.py" data-check="y_check">check</a>'
    )
    assert 'claims.py#L4" data-check="y_check"' in claimsource.add_line_anchors(
        html, tmp_path
    )
    checks.write_text(
        '"""Doc,\nnow longer."""\n\n\n@claim("x.y")\ndef y_check():\n    pass\n'
    )
    assert "claims.py#L5" in claimsource.add_line_anchors(html, tmp_path)
    with pytest.raises(ValueError, match="'gone' not found"):
        claimsource.add_line_anchors(html.replace("y_check", "gone"), tmp_path)


def test_every_claim_of_the_ledger_gets_a_line():
    from padguide import claims

    for claim in claims.ledger().values():
        url = claim.source.split("#")[0]
        html = f'<a href="{url}" data-check="{claim.check.__name__}">check</a>'
        anchored = claimsource.add_line_anchors(html, ROOT)
        assert claim.source in anchored, claim.id  # the same line inspect finds


# --- freshness --------------------------------------------------------------------------

MODULE = textwrap.dedent(
    '''
    """A module."""

    X = 1
    """What X is."""


    def f(a):
        """Double it."""
        return 2 * a  # the comment
    '''
)


def test_docstrings_and_comments_do_not_change_the_digest():
    before = freshness.code_digest(MODULE)
    edited = MODULE.replace("Double it.", "Double it,\n    and say so.").replace(
        "# the comment", "# another"
    )
    assert freshness.code_digest(edited) == before
    assert freshness.code_digest(MODULE.replace("2 * a", "3 * a")) != before


def test_a_page_depends_on_the_modules_it_imports_and_no_others():
    package = freshness.Package(ROOT / "src")
    page = "```{code-cell} ipython3\n:tags: [remove-cell]\n%matplotlib inline\nfrom padguide.example import running_example\n```\n"
    files = {
        p.name
        for p in freshness.page_dependencies(page, package, ROOT / "docs" / "_data")
    }
    # example.py imports batching and corpus; nothing imports a framework module
    assert {"example.py", "batching.py", "corpus.py", "__init__.py"} <= files
    assert not {"torch.py", "keras.py", "figures.py", "recorded.py"} & files


def test_dynamic_imports_of_a_package_count_every_module_in_it():
    package = freshness.Package(ROOT / "src")
    modules = package.closure({"padguide.claims"})
    assert {"padguide.claims.torch", "padguide.claims.keras"} <= modules
    assert "padguide.experiments.torch" in modules  # what the claims call, lazily


def test_a_page_that_shows_claims_depends_only_on_the_claims_it_names():
    package = freshness.Package(ROOT / "src")

    def claim_files(code: str) -> set[str]:
        page = f"```{{code-cell}} ipython3\nfrom padguide import claims\n{code}\n```\n"
        files = freshness.page_dependencies(page, package, ROOT / "docs" / "_data")
        return {p.name for p in files if p.parent.name in ("claims", "experiments")}

    shown = claim_files('claims.show("torch.pad-row-no-gradient")')
    assert "torch.py" in shown  # claims/torch.py and experiments/torch.py
    assert not {"keras.py", "masks.py", "huggingface.py"} & shown
    # The control: a page that reads the whole ledger depends on every subject.
    whole = claim_files("len(claims.ledger())")
    assert {"torch.py", "keras.py", "masks.py", "huggingface.py"} <= whole


def test_every_claim_id_is_found_in_its_module():
    from padguide import claims

    package = freshness.Package(ROOT / "src")
    for claim_id, claim in claims.ledger().items():
        assert package.claim_module(claim_id) == claim.check.__module__, claim_id
    assert package.claim_module("torch.no-such-claim") is None


def test_recorded_data_counts_for_pages_that_read_it():
    package = freshness.Package(ROOT / "src")
    page = "```{code-cell} ipython3\nfrom padguide import recorded\n```\n"
    files = freshness.page_dependencies(page, package, ROOT / "docs" / "_data")
    assert any(p.suffix == ".json" for p in files)


def test_a_new_recording_re_reads_the_pages_that_read_recorded_data(tmp_path):
    from types import SimpleNamespace

    (tmp_path / "_data" / "bench").mkdir(parents=True)
    (tmp_path / "_data" / "bench" / "a.json").write_text("{}")
    app = SimpleNamespace(srcdir=str(tmp_path))
    env = SimpleNamespace(freshness_data_readers={"build-report", "versions"})
    nothing = (set(), set(), set())
    assert freshness._on_get_outdated(app, env, *nothing) == []  # first build
    assert freshness._on_get_outdated(app, env, *nothing) == []  # the control
    (tmp_path / "_data" / "build").mkdir()
    (tmp_path / "_data" / "build" / "timings.json").write_text("{}")
    assert freshness._on_get_outdated(app, env, *nothing) == [
        "build-report",
        "versions",
    ]
    assert freshness._on_get_outdated(app, env, *nothing) == []


# --- claimreport ------------------------------------------------------------------------


def test_failing_claims_are_listed_once_each_in_order(tmp_path):
    report = tmp_path / "failures.txt"
    assert claimreport.failing_claims(report) == []
    report.write_text(
        "ClaimFailed: b fails\nClaimFailed: a fails\nClaimFailed: b fails\n"
    )
    assert claimreport.failing_claims(report) == [
        "ClaimFailed: b fails",
        "ClaimFailed: a fails",
    ]


@pytest.mark.sphinx("html", testroot="claimreport", parallel=2)
def test_a_build_lists_every_failing_claim_plainly(app):
    from sphinx.util.console import nocolor

    nocolor()  # as in a build without a terminal: Sphinx's own colours off
    app.build()
    log = app.warning.getvalue()
    assert "2 claim(s) of the book do not hold" in log
    summary = log[log.index("2 claim(s)") :]
    assert (
        'ClaimFailed: padguide.fixture-a fails: Fixture a holds. — evidence: {"found": 41}'
        in summary
    )
    assert (
        'ClaimFailed: padguide.fixture-b fails: Fixture b holds. — evidence: {"found": 42}'
        in summary
    )
    assert "\x1b[" not in log  # no colour codes anywhere, tracebacks included
