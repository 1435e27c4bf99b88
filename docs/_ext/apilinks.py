"""``{api}`name``` links a framework's API name to its documentation, without intersphinx.

Intersphinx needs each project's inventory at build time, which an offline
build cannot fetch; these links are plain URLs built from each site's scheme,
so the book builds without network and the hosted pages link out. A name this
module cannot place is an error, not a silent plain literal.
"""

from __future__ import annotations

from docutils import nodes

# Keras' pages are grouped by topic, not by name: the names the book uses.
KERAS = {
    "keras.layers.Embedding": "layers/core_layers/embedding/",
    "keras.layers.Dense": "layers/core_layers/dense/",
    "keras.layers.LSTM": "layers/recurrent_layers/lstm/",
    "keras.layers.GRU": "layers/recurrent_layers/gru/",
    "keras.layers.MultiHeadAttention": "layers/attention_layers/multi_head_attention/",
    "keras.layers.GlobalAveragePooling1D": "layers/pooling_layers/global_average_pooling1d/",
    "keras.layers.GlobalMaxPooling1D": "layers/pooling_layers/global_max_pooling1d/",
    "keras.losses.SparseCategoricalCrossentropy": "losses/probabilistic_losses/#sparsecategoricalcrossentropy-class",
    "keras.optimizers.AdamW": "optimizers/adamw/",
    "keras.optimizers.Adam": "optimizers/adam/",
}


def url_for(name: str) -> str:
    if name in KERAS:
        return "https://keras.io/api/" + KERAS[name]
    if name.startswith("torch."):
        return f"https://docs.pytorch.org/docs/stable/generated/{name}.html"
    if name.startswith("tf."):
        return "https://www.tensorflow.org/api_docs/python/" + name.replace(".", "/")
    if name.startswith("python:"):  # python:re#re.findall -> the library page, anchored
        module, _, anchor = name.removeprefix("python:").partition("#")
        return f"https://docs.python.org/3/library/{module}.html" + (
            f"#{anchor}" if anchor else ""
        )
    if name.startswith(("numpy.", "np.")):
        return f"https://numpy.org/doc/stable/reference/generated/numpy.{name.split('.', 1)[1]}.html"
    raise ValueError(
        f"no documentation address known for {name!r}: add it to docs/_ext/apilinks.py"
    )


def api_role(name, rawtext, text, lineno, inliner, options=None, content=None):  # noqa: PLR0917 -- docutils calls roles so
    shown, _, target = text.partition(" <")
    target = target.rstrip(">") or shown
    try:
        url = url_for(target)
    except ValueError as err:
        return [], [inliner.reporter.error(str(err), line=lineno)]
    literal = nodes.literal(shown, shown)
    return [nodes.reference(rawtext, "", literal, refuri=url, classes=["api-link"])], []


def setup(app):
    app.add_role("api", api_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
