"""padguide's bucket sampler in Keras: a PyDataset and a tf.data pipeline, through fit."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from padguide.keras_data import BucketPyDataset, bucket_dataset

RNG = np.random.default_rng(0)
LENGTHS = np.clip(np.round(RNG.lognormal(np.log(8), 0.8, 203)), 1, 60).astype(int)
SEQUENCES = [RNG.integers(1, 30, n) for n in LENGTHS]
LABELS = (LENGTHS > 8).astype("float32")


def model():
    keras.utils.set_random_seed(0)
    net = keras.Sequential([
        keras.Input((None,), dtype="int64"),
        keras.layers.Embedding(30, 8, mask_zero=True),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(1, activation="sigmoid"),
    ])  # fmt: skip
    net.compile(optimizer="sgd", loss="binary_crossentropy")
    return net


def test_pydataset_covers_every_example_and_changes_each_epoch():
    data = BucketPyDataset(SEQUENCES, LABELS, batch_size=16, seed=1)
    assert len(data) == -(-len(SEQUENCES) // 16)
    first = [b.tolist() for b in data.batches]
    assert sorted(i for b in first for i in b) == list(range(len(SEQUENCES)))
    x, y = data[0]
    batch = data.batches[0]
    assert x.shape == (len(batch), LENGTHS[batch].max())
    assert (x[:, 0] != 0).all()  # right padding: every row starts with a real id
    np.testing.assert_array_equal(y, LABELS[batch])
    data.on_epoch_end()  # Keras' reset after a look at the first batch: no new epoch
    assert [b.tolist() for b in data.batches] == first
    for i in range(len(data)):
        data[i]
    data.on_epoch_end()
    assert data.epoch == 1
    assert [b.tolist() for b in data.batches] != first
    data.set_epoch(0)
    assert [b.tolist() for b in data.batches] == first


def test_pydataset_through_fit_moves_to_new_batches_every_epoch():
    data = BucketPyDataset(SEQUENCES, LABELS, batch_size=16, seed=1)
    history = model().fit(data, epochs=3, verbose=0, shuffle=False)
    assert len(history.history["loss"]) == 3
    assert np.isfinite(history.history["loss"]).all()
    assert data.epoch == 3  # the next epoch is ready


def test_per_token_targets_are_padded_like_the_inputs():
    data = BucketPyDataset(SEQUENCES, SEQUENCES, batch_size=8, seed=0)
    x, y = data[1]
    np.testing.assert_array_equal(x, y)


def test_tf_data_route_through_fit():
    tf = pytest.importorskip("tensorflow")
    data = bucket_dataset(SEQUENCES, LABELS, batch_size=16, seed=1)
    count = -(-len(SEQUENCES) // 16)
    assert int(data.cardinality()) == count
    epochs = [[tuple(x.numpy()[:, 0]) for x, _ in data] for _ in range(2)]
    assert len(epochs[0]) == count
    assert epochs[0] != epochs[1]  # each iteration is a new epoch's batches
    seen = sum(int(x.shape[0]) for x, _ in data)
    assert seen == len(SEQUENCES)
    history = model().fit(
        data.prefetch(tf.data.AUTOTUNE), epochs=2, verbose=0, shuffle=False
    )
    assert len(history.history["loss"]) == 2
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: BucketPyDataset("abc"), TypeError, "sequences must be a sequence"),
        (lambda: BucketPyDataset([[1], []]), ValueError, r"sequences\[1\] is empty"),
        (lambda: BucketPyDataset([[1], [2]], [1.0]), ValueError,
         r"targets must have one entry per sequence \(2\), got 1"),
        (lambda: BucketPyDataset([[1, 2]], [[1]]), ValueError,
         r"targets\[0\] has 1 entries, sequences\[0\] has 2"),
        (lambda: BucketPyDataset([[1]], batch_size=0), ValueError,
         "batch_size must be >= 1, got 0"),
        (lambda: bucket_dataset([[1.5]]), TypeError, r"sequences\[0\] must hold integer ids"),
    ],
)  # fmt: skip
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
