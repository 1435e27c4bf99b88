"""Run every claim and write the outcomes as JSON: ``python -m padguide.claims --out F``.

``PADGUIDE_KERAS=tf_keras`` runs the Keras claims on Keras 2, and
``KERAS_BACKEND=jax`` (or ``torch``) runs Keras 3 on another backend: each
claim says which backends it speaks for, and is not applicable elsewhere. The version
matrix (``nox -s matrix``) runs this once per set of versions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from padguide import claims
from padguide.keras_backend import KERAS_ENV, current_backend


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m padguide.claims", description=__doc__
    )
    parser.add_argument(
        "--out", type=Path, help="write the results here (default: stdout)"
    )
    parser.add_argument("--label", default="", help="a name for this set of versions")
    args = parser.parse_args(argv)
    results = claims.check_all()
    report = {
        "label": args.label,
        "keras_module": os.environ.get(KERAS_ENV, "keras"),
        "keras_backend": current_backend(),
        "versions": claims.versions(),
        "results": [r.to_json() for r in results],
    }
    text = json.dumps(report, indent=1, ensure_ascii=False) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    counts = {o: sum(r.outcome == o for r in results) for o in claims.Outcome}
    print(", ".join(f"{n} {o}" for o, n in counts.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
