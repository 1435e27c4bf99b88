"""Masks through a whole model: each cure works, and its control comes out the other way."""

from __future__ import annotations

import pytest

import padguide.experiments.masks as mx
from padguide.claims.masks import DIFFERENT, SAME
from padguide.keras_backend import get_keras, is_keras3

KERAS3 = is_keras3(get_keras())


def test_mask_helper_puts_real_tokens_on_the_asked_side():
    right, left = mx._mask(side="right"), mx._mask(side="left")
    assert right.sum(1).tolist() == list(mx.LENGTHS) == left.sum(1).tolist()
    assert right[:, 0].all()
    assert left[:, -1].all()


def test_normalisation_controls_move():
    r = mx.norm_run()
    assert r.torch_batchnorm > DIFFERENT  # batch statistics count the pads
    assert r.torch_batchnorm_eval < SAME
    assert r.torch_layernorm < SAME
    assert r.torch_layernorm_mean_pooled > DIFFERENT
    assert r.torch_layernorm_masked_mean < SAME
    assert r.keras_batchnorm_unmasked > DIFFERENT  # the mask dropped
    if KERAS3:
        assert r.keras_batchnorm_masked < SAME


def test_convolution_controls_move():
    r = mx.conv_run()
    assert r.keras_pooled_dense < SAME
    assert r.keras_pooled_conv > DIFFERENT
    assert not r.keras_conv_output_has_mask
    for name in ("torch Conv1d", "keras Conv1D"):
        assert r.stacked[f"{name}, re-zero each"] < SAME
        assert r.stacked[f"{name}, re-zero input"] > DIFFERENT
        assert r.stacked[f"{name}, re-zero none"] > DIFFERENT
    assert r.causal["left padding, re-zero none"] > DIFFERENT
    assert r.causal["left padding, re-zero each"] < SAME
    assert r.causal["right padding, re-zero none"] < SAME


def test_absolute_positions_move_under_a_shift_and_rotary_do_not():
    r = mx.position_run()
    assert r.rotary < SAME < DIFFERENT < r.absolute
    assert mx.position_run(shift=0).absolute == 0


def test_polarity_table_has_a_row_per_api():
    rows = mx.polarity()
    means = {name: row["True means"] for name, row in rows.items()}
    assert means["nn.MultiheadAttention key_padding_mask"] == "ignore this key"
    assert means["F.scaled_dot_product_attention attn_mask (bool)"] == "attend"
    assert means["keras.layers.MultiHeadAttention attention_mask"] == "attend"
    for row in rows.values():
        marked, unmarked = row["key marked / unmarked"]
        if marked is not None and row["True means"] == "ignore this key":
            assert marked < SAME
            assert unmarked > DIFFERENT
    table = mx.polarity_table()
    assert table.index.name == "mask"
    assert len(table) == len(rows)
    rows["nn.MultiheadAttention key_padding_mask"]["True means"] = "changed"
    assert (
        mx.polarity()["nn.MultiheadAttention key_padding_mask"]["True means"]
        != "changed"
    )


def test_sample_weight_normalisation():
    r = mx.sample_weight_run()
    assert r.unweighted == pytest.approx(r.masked_mean, rel=1e-5)
    if KERAS3:
        assert r.evaluate == pytest.approx(r.by_real_count, rel=1e-5)
        assert r.evaluate != pytest.approx(r.by_weight_sum, rel=1e-5)
