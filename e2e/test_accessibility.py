"""axe-core on every page, in the light and the dark theme.

The theme follows the reader's system ("auto"), so a page must be readable in
both. A serious or critical violation fails the test unless every element it
names is one that the theme itself draws and that is listed in KNOWN with the
reason; padguide's own markup and CSS get no such pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import site_pages

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SCHEMES = ["light", "dark"]
FAILING_IMPACTS = {"serious", "critical"}

# (axe rule, CSS selector of the theme's element) -> why it is the theme's, not ours.
# A violation passes only if each of its elements matches a selector listed for its rule.
KNOWN: dict[tuple[str, str], str] = {
    ("label-content-name-mismatch", "button.search-button-field"): (
        "pydata-sphinx-theme's search button (components/search-button-field.html)"
        ' is labelled "Search" while its visible text adds the Ctrl+K shortcut'
    ),
}


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.exit(
            f"axe-core is not installed in {AXE.parent.parent}: run `npm ci --prefix e2e`",
            returncode=2,
        )
    return AXE.read_text(encoding="utf-8")


def audit(page, axe_source: str) -> list[dict]:
    """Serious and critical violations on the page, each node marked known or not."""
    page.add_script_tag(content=axe_source)
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html,
                                          summary: n.failureSummary})),
            }));
        }"""
    )
    found = []
    for violation in violations:
        if violation["impact"] not in FAILING_IMPACTS:
            continue
        selectors = [sel for (rule, sel) in KNOWN if rule == violation["id"]]
        for node in violation["nodes"]:
            node["known"] = bool(selectors) and page.evaluate(
                "([target, sels]) => { const el = document.querySelector(target);"
                " return !!el && sels.some(s => el.matches(s) || el.closest(s)); }",
                [node["target"], selectors],
            )
        found.append(violation)
    return found


READER_PAGES = site_pages()


@pytest.fixture
def audited(artifacts, axe_source):
    """Audit a loaded page; keep its violations in the artifacts for a person to read."""

    def run(page, path: str, scheme: str) -> list[dict]:
        violations = audit(page, axe_source)
        record = artifacts / "axe" / scheme / (path.replace("/", "__") + ".json")
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(violations, indent=1), encoding="utf-8")
        return violations

    return run


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", READER_PAGES)
def test_no_serious_violation_of_our_own(new_page, base_url, audited, path, scheme):
    page = new_page(color_scheme=scheme)
    page.goto(base_url + path, wait_until="networkidle")
    assert page.evaluate("document.documentElement.dataset.theme") == scheme
    violations = audited(page, path, scheme)
    ours = [
        f"{v['id']} ({v['impact']}): {n['target']}  {n['summary'].splitlines()[-1].strip()}"
        for v in violations
        for n in v["nodes"]
        if not n["known"]
    ]
    assert ours == [], "\n".join(ours)
