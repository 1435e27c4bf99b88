"""padguide: padding variable-length sequences in PyTorch and Keras.

The package behind the padguide book. Importing it is cheap: numpy only.
Framework code lives in submodules that import their framework on use:

- :mod:`padguide.corpus` -- Twelfth Night's speeches, a tokenizer and a vocabulary;
- :mod:`padguide.batching` -- padding, samplers and packing (numpy);
- :mod:`padguide.numpy`, :mod:`padguide.torch`, :mod:`padguide.keras` -- the
  recipes, the same names with the same meaning in each;
- :mod:`padguide.porting` -- embedding tables between PyTorch and Keras;
- :mod:`padguide.experiments` -- the seeded experiments the book runs;
- :mod:`padguide.claims` -- every statement the book makes, with its check;
- :mod:`padguide.recorded` -- the book's recorded measurements.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
