"""Moving embedding tables between PyTorch and Keras with their pad semantics.

The one recipe module that imports both frameworks (on use). Each function is
copyable with ``import numpy as np``, ``import torch``, ``import keras`` and,
for :func:`torch_embedding_to_keras`, :class:`padguide.keras.PaddingIdxEmbedding`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["keras_embedding_to_torch", "torch_embedding_to_keras"]


def torch_embedding_to_keras(module):
    """A Keras layer with the same weights and pad semantics as an ``nn.Embedding``.

    With ``padding_idx`` set, the result is a :class:`padguide.keras.PaddingIdxEmbedding`
    (zero output and no gradient at pad positions, and a mask for later layers);
    without it, a plain ``keras.layers.Embedding``. The pad row must be zero, as
    ``padding_idx`` leaves it after ``reset_parameters()``; a non-zero pad row
    (from ``from_pretrained``) has no Keras equivalent and raises ``ValueError``.
    """
    import keras
    import torch

    from padguide.keras import PaddingIdxEmbedding

    if not isinstance(module, torch.nn.Embedding):
        raise TypeError(
            f"module must be a torch.nn.Embedding, got {type(module).__name__}"
        )
    if module.max_norm is not None or module.scale_grad_by_freq or module.sparse:
        raise ValueError(
            "module uses max_norm, scale_grad_by_freq or sparse, which Keras lacks"
        )
    weights = module.weight.detach().cpu().numpy()
    if module.padding_idx is None:
        layer = keras.layers.Embedding(*weights.shape)
    else:
        if np.abs(weights[module.padding_idx]).max() > 0:
            raise ValueError(
                f"module.weight[{module.padding_idx}] (the pad row) is non-zero; "
                "PaddingIdxEmbedding outputs zeros there. Zero the row first if that is intended."
            )
        layer = PaddingIdxEmbedding(*weights.shape, padding_idx=module.padding_idx)
    layer.build((None, None))
    layer.embeddings.assign(weights)
    return layer


def keras_embedding_to_torch(layer):
    """An ``nn.Embedding`` with the same weights and pad semantics as a Keras embedding.

    A :class:`padguide.keras.PaddingIdxEmbedding` becomes ``nn.Embedding(padding_idx=...)``.
    A ``keras.layers.Embedding`` becomes ``nn.Embedding`` without ``padding_idx``,
    because ``mask_zero`` leaves row 0 trainable and outputs it as it is; the
    mask it emits is ``ids != 0`` (see :func:`padguide.torch.mask_from_ids`).
    """
    import keras
    import torch

    from padguide.keras import PaddingIdxEmbedding

    if isinstance(layer, PaddingIdxEmbedding):
        padding_idx = layer.padding_idx
    elif isinstance(layer, keras.layers.Embedding):
        padding_idx = None
    else:
        raise TypeError(
            f"layer must be a keras.layers.Embedding or PaddingIdxEmbedding, got {type(layer).__name__}"
        )
    if not layer.built:
        raise ValueError(
            "layer has no weights yet: call it on a batch or build() it first"
        )
    weights = torch.as_tensor(np.array(layer.embeddings.numpy()))
    return torch.nn.Embedding.from_pretrained(
        weights, freeze=False, padding_idx=padding_idx
    )
