"""padguide's bucket sampler for Keras: a ``PyDataset`` and a ``tf.data`` pipeline.

Both pad each batch to its own longest sequence (pad id 0 on the right, as
``Embedding(mask_zero=True)`` expects) and draw a new epoch's batches from
``(seed, epoch)`` with :func:`padguide.batching.bucket_batches`: as many
batches per epoch as random batching, batch-mates that change from epoch to
epoch.

- :class:`BucketPyDataset` is a ``keras.utils.PyDataset``: any Keras 3 backend,
  ``model.fit(dataset, epochs=…)``;
- :func:`bucket_dataset` is a ``tf.data.Dataset`` of padded batches whose
  batches change each time it is iterated (each epoch of ``fit``).

This module imports Keras (and TensorFlow for :func:`bucket_dataset`);
``import padguide`` does not.
"""

from __future__ import annotations

import numpy as np

try:
    import keras
except ModuleNotFoundError as error:  # pragma: no cover - depends on the environment
    raise ModuleNotFoundError(
        "padguide.keras_data needs Keras: pip install 'padguide[tensorflow]'"
    ) from error

from padguide import batching as B

__all__ = ["BucketPyDataset", "bucket_dataset"]


def _prepare(sequences, targets):
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise TypeError(
            f"sequences must be a sequence of id sequences, got {type(sequences).__name__}"
        )
    rows = [B._as_id_row(s, i) for i, s in enumerate(sequences)]
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    if rows and lengths.min() < 1:
        i = int(np.argmin(lengths))
        raise ValueError(f"sequences[{i}] is empty: every sequence needs at least 1 id")
    if targets is None:
        return rows, lengths, None, False
    if len(targets) != len(rows):
        raise ValueError(
            f"targets must have one entry per sequence ({len(rows)}), got {len(targets)}"
        )
    per_token = len(targets) > 0 and np.ndim(targets[0]) == 1
    if per_token:
        targets = [B._as_id_row(t, i) for i, t in enumerate(targets)]
        for i, (t, r) in enumerate(zip(targets, rows, strict=True)):
            if len(t) != len(r):
                raise ValueError(
                    f"targets[{i}] has {len(t)} entries, sequences[{i}] has {len(r)}"
                )
    else:
        targets = np.asarray(targets)
    return rows, lengths, targets, per_token


def _batch(rows, targets, per_token, batch, pad_id):
    x = B.pad([rows[i] for i in batch], pad_id=pad_id)
    if targets is None:
        return x
    if per_token:
        return x, B.pad([targets[i] for i in batch], pad_id=pad_id, length=x.shape[1])
    return x, targets[batch]


class BucketPyDataset(keras.utils.PyDataset):
    """Padded batches of similar length for ``model.fit``; new batches every epoch.

    ``targets`` is optional: one label per sequence, or one id sequence per
    sequence (padded like the inputs). ``len()`` is ``ceil(n / batch_size)``
    in every epoch. Keras calls ``on_epoch_end`` after each epoch, which moves
    to the next epoch's batches; ``set_epoch`` jumps to one (to resume).
    Batches are served from threads (``workers``), not processes: the epoch
    is counted in this process.
    Extra keyword arguments (``workers``, ``use_multiprocessing``) go to
    ``PyDataset``. Pass ``shuffle=False`` to ``fit``: the batches come
    shuffled already.
    """

    def __init__(
        self,
        sequences,
        targets=None,
        batch_size: int = 32,
        *,
        seed: int = 0,
        overlap: float = 0.1,
        width: float | None = None,
        pad_id: int = 0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self._rows, self.lengths, self._targets, self._per_token = _prepare(
            sequences, targets
        )
        self.batch_size = B._check_positive("batch_size", batch_size)
        if width is None:
            width = B.overlap_width(self.lengths, self.batch_size, overlap)
        self.width = B._check_width(width)
        self.seed, self.pad_id = int(seed), int(pad_id)
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s batches."""
        if (
            isinstance(epoch, bool)
            or not isinstance(epoch, int | np.integer)
            or epoch < 0
        ):
            raise ValueError(f"epoch must be an int >= 0, got {epoch!r}")
        self.epoch, self._served = int(epoch), 0
        self.batches = B.bucket_batches(self.lengths, self.batch_size,
                                        seed=(self.seed, self.epoch), width=self.width)  # fmt: skip

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int):
        if not -len(self) <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        self._served += 1
        return _batch(self._rows, self._targets, self._per_token, self.batches[index],
                      self.pad_id)  # fmt: skip

    def on_epoch_end(self) -> None:
        """Move to the next epoch's batches once this epoch's were all served.

        Keras also calls this when it resets its iterator, after looking at
        the first batch to learn its shape; that does not count as an epoch.
        """
        if self._served >= len(self):
            self.set_epoch(self.epoch + 1)


def bucket_dataset(
    sequences,
    targets=None,
    batch_size: int = 32,
    *,
    seed: int = 0,
    overlap: float = 0.1,
    width: float | None = None,
    pad_id: int = 0,
):
    """A ``tf.data.Dataset`` of padded batches of similar length, new batches each epoch.

    Every time the dataset is iterated (once per epoch in ``model.fit``) it
    draws the next epoch's batches from ``(seed, epoch)``; its cardinality is
    ``ceil(n / batch_size)``, so ``fit`` knows the steps per epoch. Batches
    come from Python (``Dataset.from_generator``); add ``.prefetch(…)`` to
    overlap them with training, and pass ``shuffle=False`` to ``fit`` (Keras
    warns that it cannot shuffle a dataset; the batches come shuffled).
    """
    import tensorflow as tf

    rows, lengths, labels, per_token = _prepare(sequences, targets)
    batch_size = B._check_positive("batch_size", batch_size)
    if width is None:
        width = B.overlap_width(lengths, batch_size, overlap)
    width = B._check_width(width)
    epochs = iter(range(2**62))

    def generate():
        epoch = next(epochs)
        for batch in B.bucket_batches(
            lengths, batch_size, seed=(seed, epoch), width=width
        ):
            yield _batch(rows, labels, per_token, batch, pad_id)

    x_spec = tf.TensorSpec((None, None), tf.int64)
    if labels is None:
        spec = x_spec
    elif per_token:
        spec = (x_spec, tf.TensorSpec((None, None), tf.int64))
    else:
        spec = (
            x_spec,
            tf.TensorSpec((None, *labels.shape[1:]), tf.as_dtype(labels.dtype)),
        )
    data = tf.data.Dataset.from_generator(generate, output_signature=spec)
    count = -(-len(rows) // batch_size)
    return data.apply(tf.data.experimental.assert_cardinality(count))
