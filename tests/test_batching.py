from __future__ import annotations

import numpy as np
import pytest

from padguide.batching import pad
from padguide.numpy import lengths_to_mask, mask_to_lengths


def test_pad_right_and_left():
    assert pad([[5, 3, 2], [4]]).tolist() == [[5, 3, 2], [4, 0, 0]]
    assert pad([[5, 3, 2], [4]], side="left").tolist() == [[5, 3, 2], [0, 0, 4]]
    assert pad([[5], [4]], pad_id=9, length=3).tolist() == [[5, 9, 9], [4, 9, 9]]
    assert pad([np.array([1, 2])]).dtype == np.int64


def test_pad_empty_is_legal():
    assert pad([]).shape == (0, 0)
    assert pad([], length=4).shape == (0, 4)
    assert pad([[], []]).shape == (2, 0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"sequences": [[1, 2, 3]], "length": 2},
            ValueError,
            r"sequences\[0\] has 3 ids, more than length=2",
        ),
        ({"sequences": [[1]], "length": -1}, ValueError, "length must be >= 0"),
        (
            {"sequences": [[1]], "side": "middle"},
            ValueError,
            "side must be 'right' or 'left'",
        ),
        ({"sequences": [[1.5]]}, TypeError, r"sequences\[0\] must hold integer ids"),
        (
            {"sequences": [[[1, 2]]]},
            ValueError,
            r"sequences\[0\] must be one-dimensional",
        ),
        ({"sequences": [[1, -2]]}, ValueError, r"sequences\[0\]\[1\]=-2 is negative"),
        ({"sequences": [[1]], "pad_id": -1}, ValueError, "pad_id must be >= 0"),
        ({"sequences": [[1]], "pad_id": 0.0}, TypeError, "pad_id must be an int"),
        ({"sequences": "abc"}, TypeError, "sequences must be a sequence"),
        ({"sequences": [[1]], "length": 2.0}, TypeError, "length must be an int"),
    ],
)
def test_pad_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        pad(**kwargs)


def test_lengths_to_mask_and_back():
    mask = lengths_to_mask([3, 1, 0], max_len=4)
    assert mask.tolist() == [
        [True, True, True, False],
        [True, False, False, False],
        [False, False, False, False],
    ]
    assert mask_to_lengths(mask).tolist() == [3, 1, 0]
    assert lengths_to_mask([2, 1]).shape == (2, 2)
    assert mask_to_lengths([[0, 1, 1]]).tolist() == [2]


def test_mask_recipes_accept_empty_batches():
    assert lengths_to_mask([]).shape == (0, 0)
    assert lengths_to_mask([], max_len=3).shape == (0, 3)
    assert mask_to_lengths(np.zeros((0, 3), bool)).shape == (0,)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (([3, 9], 5), ValueError, r"lengths\[1\]=9 exceeds max_len=5"),
        (([2, -1], None), ValueError, r"lengths\[1\]=-1 is negative"),
        (([[1, 2]], None), ValueError, "lengths must be one-dimensional"),
        (([1.0, 2.0], None), TypeError, "lengths must hold integers"),
        (([1], -2), ValueError, "max_len must be >= 0"),
        (([1], 2.5), TypeError, "max_len must be an int"),
    ],
)
def test_lengths_to_mask_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        lengths_to_mask(*args)


def test_mask_to_lengths_bad_input():
    with pytest.raises(ValueError, match="mask must be two-dimensional"):
        mask_to_lengths([True, False])
    with pytest.raises(TypeError, match="boolean or hold only 0 and 1"):
        mask_to_lengths([[0.5, 1.0]])


def test_ragged_input_where_a_rectangle_is_needed():
    with pytest.raises(
        ValueError,
        match=r"mask must be rectangular \(batch, time\), got rows of lengths \[2, 1\]",
    ):
        mask_to_lengths([[True, True], [True]])
    with pytest.raises(ValueError, match="lengths must be a flat sequence"):
        lengths_to_mask([[1, 2], [3]])
