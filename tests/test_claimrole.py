"""The ``{claim}`` role (docs/_ext/claimrole.py) on tiny fixture sites."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

pytest_plugins = ("sphinx.testing.fixtures",)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(
    0, str(ROOT / "docs" / "_ext")
)  # the fixture sites' conf.py load claimrole


@pytest.fixture(scope="session")
def rootdir():
    return ROOT / "tests" / "sites"


def _citations(html: str) -> list[tuple[str, str]]:
    return re.findall(
        r'<a class="[^"]*padguide-claim-cite[^"]*" href="([^"]+)" title="([^"]+)"', html
    )


@pytest.mark.sphinx("html", testroot="claimrole")
def test_claim_role_links_to_the_claims_box(app):
    app.build()
    assert app.warning.getvalue() == ""
    index = (Path(app.outdir) / "index.html").read_text()
    [(href, title)] = _citations(index)
    assert href == "claims.html#claim-torch.pad-row-zero-at-init"
    assert "A new nn.Embedding(padding_idx=0) has an all-zero row 0." in title
    assert ">✓</a>" in index


@pytest.mark.sphinx("html", testroot="claimrole")
def test_claim_role_link_is_relative_to_the_citing_page(app):
    app.build()
    page = (Path(app.outdir) / "sub" / "page.html").read_text()
    [(href, _)] = _citations(page)
    assert href == "../claims.html#claim-keras.mask-is-ids-not-zero"


@pytest.mark.sphinx("html", testroot="claimrole-unknown", freshenv=True)
def test_unknown_claim_is_a_warning(app):
    app.build()
    assert "unknown claim 'torch.no-such-claim'" in app.warning.getvalue()


@pytest.mark.sphinx(
    "html", testroot="claimrole-unknown", warningiserror=True, freshenv=True
)
def test_unknown_claim_fails_a_strict_build(app):
    # As `sphinx-build -W`: the build goes on, and ends with a failing status.
    app.build()
    assert "unknown claim 'torch.no-such-claim'" in app.warning.getvalue()
    assert app.statuscode != 0
