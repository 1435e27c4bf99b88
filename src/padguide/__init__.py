"""padguide: padding variable-length sequences in PyTorch and Keras.

The package behind the padguide book. Importing it is cheap: numpy only.
Framework code lives in submodules that import their framework on use:

- :mod:`padguide.corpus` -- Twelfth Night's speeches, a tokenizer and a vocabulary;
- :mod:`padguide.batching` -- padding a batch of id sequences;
- :mod:`padguide.numpy` -- the reference implementation of the shared recipes;
- :mod:`padguide.torch`, :mod:`padguide.keras` -- the experiments the book runs;
- :mod:`padguide.compare` -- both frameworks on identical weights;
- :mod:`padguide.claims` -- every statement the book makes, with its check.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
