"""What a change re-executes: each page depends on the padguide code it runs.

jupyter-cache keys a page by its code cells only, so on its own it would
serve outputs computed by old package code. This extension appends to each
notebook page one hidden code cell holding a digest of what the page runs:

- every padguide module its cells import, followed through the package's own
  imports (those inside functions too), each reduced to its syntax tree
  without docstrings, so an edit of a docstring or a comment changes nothing;
- of the claims, only the modules that register the claims the page names,
  when it only shows or checks them by id (``claims.show("torch.…")``): the
  ledger imports every subject, but a claim's outcome and evidence come from
  its own check. A page that reads the whole ledger depends on all of it;
- the files of ``docs/_data`` when the page reads recorded data
  (:mod:`padguide.recorded`);
- the installed versions of the frameworks.

A code change therefore re-executes exactly the pages that import the changed
module, directly or not; everything else stays cached. Sphinx re-reads a
page when one of those files changes (``note_dependency``), and the cache then
decides whether it executes.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "padguide"
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
MARK = "# padguide code digest"
CLAIMS = f"{PACKAGE}.claims"
BY_ID = frozenset({"show", "check"})
"""What a page may call on the claims and still depend only on the claims it names."""
QUOTED = re.compile(r"""["'`]([a-z0-9_]+\.[a-z0-9_-]+)["'`]""")


def cell_code(text: str) -> Iterable[str]:
    """The Python source of each code cell of a MyST notebook (options and magics dropped)."""
    for match in CELL.finditer(text):
        lines = match.group(1).splitlines()
        if lines and lines[0].strip() == "---":  # a YAML block of options
            end = next(
                (i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), 0
            )
            lines = lines[end + 1 :]
        while lines and lines[0].startswith(":"):  # :tags: [...] style options
            lines = lines[1:]
        yield "\n".join(line for line in lines if not line.lstrip().startswith("%"))


class Package:
    """padguide's modules as files: resolving names and following imports."""

    def __init__(self, src: Path) -> None:
        self.src = src  # the folder that holds the package folder

    def path(self, module: str) -> Path | None:
        base = self.src.joinpath(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def _package_modules(self, package: str) -> list[str]:
        folder = self.src.joinpath(*package.split("."))
        return [
            f"{package}.{p.stem}" if p.stem != "__init__" else package
            for p in sorted(folder.glob("*.py"))
        ]

    def imports(self, tree: ast.AST, here: str = "", dynamic: bool = True) -> set[str]:
        """padguide modules a syntax tree imports, statically or (``dynamic``) by a formatted name."""
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    parts = here.split(".")[: -node.level]
                    module = ".".join([*parts, module] if module else parts)
                found.add(module)
                found.update(f"{module}.{alias.name}" for alias in node.names)
            elif (  # importlib.import_module(f"padguide.claims.{subject}")
                dynamic
                and isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", ""))
                == "import_module"
                and node.args
                and isinstance(node.args[0], ast.JoinedStr)
                and isinstance(node.args[0].values[0], ast.Constant)
            ):
                prefix = str(node.args[0].values[0].value).rstrip(".")
                if prefix.startswith(PACKAGE) and self.path(prefix):
                    found.update(self._package_modules(prefix))
        return {m for m in found if m.split(".")[0] == PACKAGE and self.path(m)}

    def closure(self, modules: Iterable[str], static: Iterable[str] = ()) -> set[str]:
        """The modules given, their parent packages and everything they import.

        Modules in ``static`` count only what they import by name, not their
        formatted dynamic imports.
        """
        static = set(static)
        seen: set[str] = set()
        todo = list(modules)
        while todo:
            module = todo.pop()
            if module in seen or not self.path(module):
                continue
            seen.add(module)
            parts = module.split(".")
            todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
            path = self.path(module)
            # Relative imports resolve from the package: a package's own name for
            # its __init__, the enclosing package for a module.
            here = f"{module}.__init__" if path.name == "__init__.py" else module
            tree = ast.parse(path.read_text(), str(path))
            todo.extend(self.imports(tree, here, dynamic=module not in static))
        return seen

    @functools.cached_property
    def claim_modules(self) -> list[tuple[re.Pattern, str]]:
        """Each claims module and a pattern of the ids it registers (``@claim("id", …)``).

        An id built in a loop (``f"compare.{name}-agree"``) is matched with any
        slug where its formatted parts are.
        """
        found = []
        for path in sorted(self.src.joinpath(*CLAIMS.split(".")).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", "") == "claim"
                    and node.args
                ):
                    continue
                first = node.args[0]
                parts = first.values if isinstance(first, ast.JoinedStr) else [first]
                pattern = "".join(
                    re.escape(part.value)
                    if isinstance(part, ast.Constant)
                    else "[a-z0-9_-]+"
                    for part in parts
                )
                found.append((re.compile(pattern), f"{CLAIMS}.{path.stem}"))
        return found

    def claim_module(self, claim_id: str) -> str | None:
        """The claims module that registers ``claim_id``, if any."""
        return next((m for p, m in self.claim_modules if p.fullmatch(claim_id)), None)


def claims_used(trees: list[ast.AST]) -> set[str]:
    """The names a page's cells use from :mod:`padguide.claims` (``claims.show`` -> ``show``)."""
    used = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == CLAIMS:
                used.update(alias.name for alias in node.names)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "claims"
            ):
                used.add(node.attr)
    return used


def code_digest(source: str) -> str:
    """A digest of what Python code does: its syntax tree without docstrings.

    Comments are not in the tree; string statements (docstrings, attribute
    docstrings) are removed; line numbers are left out.
    """
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            kept = [
                s
                for s in body
                if not (
                    isinstance(s, ast.Expr)
                    and isinstance(s.value, ast.Constant)
                    and isinstance(s.value.value, str)
                )
            ]
            node.body = kept or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()


def page_dependencies(text: str, package: Package, data: Path) -> list[Path]:
    """The files whose content decides a page's outputs, in a stable order."""
    trees = []
    for code in cell_code(text):
        try:
            trees.append(ast.parse(code))
        except SyntaxError:
            continue  # a cell that is not plain Python; it imports nothing we follow
    imported = set().union(*(package.imports(t) for t in trees))
    static = set()
    if CLAIMS in imported and claims_used(trees) <= BY_ID:
        # Only the claims it names: their modules, not every subject the ledger loads.
        imported |= {package.claim_module(i) for i in QUOTED.findall(text)} - {None}
        static.add(CLAIMS)
    modules = package.closure(imported, static)
    files = sorted(package.path(m) for m in modules)
    if f"{PACKAGE}.recorded" in modules and data.is_dir():
        files += sorted(p for p in data.rglob("*") if p.is_file())
    return files


def page_digest(files: list[Path], versions: dict[str, str], root: Path) -> str:
    digest = hashlib.sha256(repr(sorted(versions.items())).encode())
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        content = path.read_bytes()
        if path.suffix == ".py":
            content = code_digest(content.decode()).encode()
        digest.update(content)
    return digest.hexdigest()[:16]


def _on_source_read(app, docname: str, source: list[str]) -> None:
    text = source[0]
    if "```{code-cell}" not in text:
        return
    from padguide.provenance import versions

    docs = Path(app.srcdir)
    src = Path(app.config.freshness_src)
    files = page_dependencies(text, Package(src), docs / "_data")
    for path in files:
        app.env.note_dependency(str(path))
    if any(docs / "_data" in path.parents for path in files):
        _data_readers(app.env).add(docname)
    digest = page_digest(files, versions(), src.parent)
    source[0] = (
        text.rstrip("\n")
        + "\n\n```{code-cell} ipython3\n:tags: [remove-cell]\n"
        + f"{MARK} {digest} (docs/_ext/freshness.py)\n```\n"
    )


# A new recording is a file no page has noted as a dependency yet, so Sphinx
# would not re-read the pages that read docs/_data: they are re-read whenever
# the list of its files changes.


def _data_readers(env) -> set[str]:
    if not hasattr(env, "freshness_data_readers"):
        env.freshness_data_readers = set()
    return env.freshness_data_readers


def _data_files(app) -> list[str]:
    data = Path(app.srcdir) / "_data"
    return sorted(
        p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()
    )


def _on_get_outdated(app, env, added, changed, removed) -> list[str]:
    now, before = _data_files(app), getattr(env, "freshness_data_files", None)
    env.freshness_data_files = now
    if before is None or before == now:
        return []
    return sorted(_data_readers(env) - set(removed))


def _on_purge_doc(app, env, docname: str) -> None:
    _data_readers(env).discard(docname)


def _on_merge_info(app, env, docnames, other) -> None:
    _data_readers(env).update(_data_readers(other) & set(docnames))


def setup(app):
    app.add_config_value("freshness_src", "", "env")
    app.connect("source-read", _on_source_read)
    app.connect("env-get-outdated", _on_get_outdated)
    app.connect("env-purge-doc", _on_purge_doc)
    app.connect("env-merge-info", _on_merge_info)
    # env_version: an environment from before the readers were recorded is re-read once.
    return {"env_version": 2, "parallel_read_safe": True, "parallel_write_safe": True}
