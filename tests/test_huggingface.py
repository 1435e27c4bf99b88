"""Hugging Face conventions: each causal claim's control comes out the other way."""

from __future__ import annotations

import numpy as np
import pytest

hf = pytest.importorskip(
    "padguide.experiments.huggingface", reason="transformers is not installed"
)

from padguide.claims.huggingface import DIFFERENT, SAME


def test_tokenizer_is_trained_on_the_play_with_pad_zero():
    tok = hf.tokenizer()
    assert tok.pad_token_id == 0
    assert tok.eos_token_id == hf.tokenizer(pad_is_eos=True).pad_token_id
    assert len(tok) == hf.VOCAB_SIZE
    assert hf.LINES[0].startswith("If music be the food of love")


def test_padded_batch_puts_pads_on_the_asked_side():
    right, left = hf.padded_batch("right"), hf.padded_batch("left")
    lengths = right.attention_mask.sum(1)
    np.testing.assert_array_equal(lengths, left.attention_mask.sum(1))
    for row, n in enumerate(lengths):
        np.testing.assert_array_equal(
            right.input_ids[row, :n], left.input_ids[row, -n:] if n else []
        )
    table = left.table()
    assert table.index[0] == "If music be …"
    assert table.index[-1] == hf.LINES[-1]
    assert table.iloc[-1, 0] == "[PAD]"


def test_all_ones_mask_changes_the_real_positions():
    r = hf.bert_mask_run()
    assert r.with_mask < SAME
    assert r.without_mask > DIFFERENT


def test_pad_id_as_label_changes_the_loss():
    r = hf.label_run()
    assert r.real_targets < r.all_targets
    assert abs(r.pad_id_labels - r.model_loss) > DIFFERENT
    assert abs(r.cross_entropy_default - r.model_loss) < SAME


def test_without_position_ids_and_with_right_padding_logits_differ():
    r = hf.append_run()
    assert r.left_with_positions < SAME
    assert r.left_without_positions > DIFFERENT
    assert r.right_last_column > DIFFERENT
    assert r.right_appended > DIFFERENT
    assert r.left_with_positions_appended < SAME
    assert r.position_ids == sorted(r.position_ids)


def test_a_pad_token_of_its_own_keeps_the_eos_label():
    r = hf.pad_eos_run()
    own, shared = r["pad of its own"], r["pad = eos"]
    last = sum(own["attention_mask"]) - 1
    assert own["labels"][last] == own["eos_id"][0]
    assert shared["labels"][last] == -100
    assert shared["input_ids"][last] == shared["eos_id"][0]


def test_without_pad_to_multiple_of_the_batch_ends_at_its_longest():
    r = hf.collator_run((None, 8))
    assert r.padded_to["None"] == max(r.lengths)
    assert r.padded_to["8"] % 8 == 0
    assert r.padded_to["8"] >= r.padded_to["None"]


def test_keras_minus_100_label_without_ignore_class_is_not_ignored():
    r = hf.keras_minus_100()
    assert r["torch_embedding_error"] == "IndexError"
    plain = r["loss_plain"]
    assert not (
        isinstance(plain, float) and np.isclose(plain, r["torch_cross_entropy"])
    )


def test_experiments_are_deterministic():
    assert hf.bert_mask_run.__wrapped__() == hf.bert_mask_run.__wrapped__()
    assert hf.append_run.__wrapped__() == hf.append_run.__wrapped__()
