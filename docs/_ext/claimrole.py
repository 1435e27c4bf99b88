"""The ``{claim}`` role: cite the claim that checks a sentence, as a small ✓ link.

```markdown
Row 0 starts at zero {claim}`torch.pad-row-zero-at-init`.
```

renders a ✓ after the sentence that links to the claim's box on the Claims
page (``id="claim-<id>"``), with the claim's statement as its tooltip. The ids
are read statically from :func:`padguide.claims.ledger`, which imports no
framework; an unknown id is a Sphinx warning, so ``-W`` fails the build.

Configuration: ``claimrole_page`` (default ``"claims"``), the document that
renders every claim's box.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

logger = logging.getLogger(__name__)

MARK = "✓"


class claim_reference(nodes.Inline, nodes.TextElement):
    """A citation of one claim; becomes a link once the target page's URI is known."""


def _known_claims() -> dict[str, str]:
    from padguide.claims import ledger

    return {claim_id: c.statement for claim_id, c in ledger().items()}


class ClaimRole(SphinxRole):
    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        claim_id = self.text.strip()
        statements = _known_claims()
        if claim_id not in statements:
            logger.warning(
                "unknown claim %r in {claim} role (known claims: %d)",
                claim_id,
                len(statements),
                location=self.get_location(),
                type="claimrole",
                subtype="unknown",
            )
            return [nodes.literal(self.rawtext, claim_id)], []
        node = claim_reference(self.rawtext, MARK, claim_id=claim_id)
        node["statement"] = statements[claim_id]
        node["classes"].append("padguide-claim-cite")
        return [node], []


def _resolve(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    page = app.config.claimrole_page
    for node in list(doctree.findall(claim_reference)):
        claim_id = node["claim_id"]
        try:
            uri = app.builder.get_relative_uri(docname, page)
        except Exception:  # noqa: BLE001 -- builders without URIs (e.g. text) get no link
            uri = ""
        reference = nodes.reference(
            "",
            "",
            nodes.Text(MARK),
            refuri=f"{uri}#claim-{claim_id}",
            reftitle=f"Checked claim {claim_id}: {node['statement']}",
            classes=["padguide-claim-cite"],
        )
        node.replace_self(reference)


def setup(app: Sphinx) -> dict[str, object]:
    app.add_config_value("claimrole_page", "claims", "env")
    app.add_node(claim_reference)
    app.add_role("claim", ClaimRole())
    app.connect("doctree-resolved", _resolve)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
