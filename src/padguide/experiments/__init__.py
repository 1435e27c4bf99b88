"""The book's experiments: seeded runs of the frameworks that return numpy data.

One module per subject, mirroring :mod:`padguide.claims`: :mod:`.torch`
(``nn.Embedding(padding_idx=...)``), :mod:`.keras` (``mask_zero`` and the mask),
:mod:`.tensorflow` (``IndexedSlices``, retracing, tf.data) and :mod:`.compare`
(both frameworks on identical weights). Each imports its own framework only;
they use the recipes of :mod:`padguide.torch` and :mod:`padguide.keras` but
recipes never import experiments.
"""
