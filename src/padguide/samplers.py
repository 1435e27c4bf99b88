"""PyTorch batch samplers for real training jobs: epochs, data-parallel ranks, resuming.

:func:`padguide.batching.bucket_batches` and
:func:`~padguide.batching.token_budget_batches` return one epoch's batches
as index arrays. The classes here wrap them as ``torch.utils.data.Sampler``
objects that a ``DataLoader`` takes as ``batch_sampler``:

- ``set_epoch(epoch)`` draws the epoch's batches from ``(seed, epoch)``, so a
  run is the same on every rank and every restart;
- ``num_replicas`` / ``rank`` give every data-parallel rank the same number of
  batches, each example once per epoch (see :class:`EpochPlan` for the one
  counted exception);
- ``state_dict()`` / ``load_state_dict()`` resume in the middle of an epoch.

This module imports PyTorch; ``import padguide`` does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

try:
    import torch
    from torch.utils.data import Sampler
except ModuleNotFoundError as error:  # pragma: no cover - depends on the environment
    raise ModuleNotFoundError(
        "padguide.samplers needs PyTorch: pip install 'padguide[torch]'"
    ) from error

from padguide import batching as B

__all__ = ["BucketBatchSampler", "EpochPlan", "TokenBudgetBatchSampler"]


@dataclass(frozen=True)
class EpochPlan:
    """One epoch's batches for every rank: ``per_rank[r]`` is what rank ``r`` iterates.

    ``split`` counts the batches that were cut in two so that the number of
    batches divides by the number of ranks (each example is still seen once);
    ``repeated`` counts examples seen twice, which happens only when there are
    fewer examples than the ranks need batches (then a rank gets a copy of
    the smallest batch, as ``DistributedSampler`` pads with repeats).
    """

    per_rank: list[list[np.ndarray]]
    split: int
    repeated: int

    @property
    def batches(self) -> int:
        """Batches per rank."""
        return len(self.per_rank[0])


def _plan(
    batches: list[np.ndarray], lengths: np.ndarray, num_replicas: int, rng
) -> EpochPlan:
    """Deal an epoch's batches to ranks: equal counts, similar lengths within a step."""
    if num_replicas == 1:
        return EpochPlan([batches], 0, 0)
    batches = list(batches)
    split = repeated = 0
    while len(batches) % num_replicas:
        big = max(range(len(batches)), key=lambda b: (len(batches[b]), -b))
        if len(batches[big]) < 2:
            break
        half = len(batches[big]) // 2
        batches[big : big + 1] = [batches[big][:half], batches[big][half:]]
        split += 1
    while len(batches) % num_replicas:  # fewer examples than batches needed
        small = min(range(len(batches)), key=lambda b: (len(batches[b]), b))
        batches.append(batches[small].copy())
        repeated += len(batches[small])
    # Ranks in one step get batches of neighbouring lengths, so none waits long
    # for the others; the steps themselves come in random order.
    longest = np.array([lengths[b].max() if len(b) else 0 for b in batches])
    by_length = np.argsort(longest, kind="stable")
    steps = by_length.reshape(-1, num_replicas)[
        rng.permutation(len(batches) // num_replicas)
    ]
    return EpochPlan(
        [[batches[i] for i in steps[:, r]] for r in range(num_replicas)],
        split,
        repeated,
    )


def _replicas(num_replicas: int | None, rank: int | None) -> tuple[int, int]:
    distributed = (
        torch.distributed.is_available() and torch.distributed.is_initialized()
    )
    if num_replicas is None:
        num_replicas = torch.distributed.get_world_size() if distributed else 1
    if rank is None:
        rank = torch.distributed.get_rank() if distributed else 0
    num_replicas = B._check_positive("num_replicas", num_replicas)
    if isinstance(rank, bool) or not isinstance(rank, int | np.integer):
        raise TypeError(f"rank must be an int, got {type(rank).__name__}")
    if not 0 <= rank < num_replicas:
        raise ValueError(
            f"rank must be in [0, num_replicas={num_replicas}), got {rank}"
        )
    return num_replicas, int(rank)


class _EpochBatchSampler(Sampler[list[int]]):
    """Shared machinery: epochs, ranks, resuming. Subclasses say how one epoch is batched."""

    def __init__(self, lengths, *, seed: int, num_replicas, rank) -> None:
        self.lengths = B._check_lengths(lengths)
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
        self.seed = int(seed)
        self.num_replicas, self.rank = _replicas(num_replicas, rank)
        if len(self.lengths) < self.num_replicas:
            raise ValueError(
                f"lengths has {len(self.lengths)} examples, fewer than "
                f"num_replicas={self.num_replicas}: some rank would get no batch"
            )
        self.epoch = 0
        self.position = 0
        self._cached: tuple[int, EpochPlan] | None = None

    def _epoch_batches(self, seed) -> list[np.ndarray]:
        raise NotImplementedError

    def plan(self, epoch: int | None = None) -> EpochPlan:
        """Every rank's batches for ``epoch`` (by default the current one)."""
        epoch = self.epoch if epoch is None else epoch
        if self._cached is not None and self._cached[0] == epoch:
            return self._cached[1]
        batches = self._epoch_batches((self.seed, epoch))
        plan = _plan(batches, self.lengths, self.num_replicas,
                     np.random.default_rng((self.seed, epoch, 1)))  # fmt: skip
        self._cached = (epoch, plan)
        return plan

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s batches from now on; a new epoch starts at its first batch."""
        if isinstance(epoch, bool) or not isinstance(epoch, int | np.integer):
            raise TypeError(f"epoch must be an int, got {type(epoch).__name__}")
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        if epoch != self.epoch:
            self.epoch, self.position = int(epoch), 0

    def __len__(self) -> int:
        """Batches this rank iterates in the current epoch (the same on every rank)."""
        return self.plan().batches

    def __iter__(self) -> Iterator[list[int]]:
        batches = self.plan().per_rank[self.rank]
        while self.position < len(batches):
            batch = batches[self.position]
            self.position += 1
            yield batch.tolist()
        self.position = 0

    def state_dict(self) -> dict:
        """Where this rank is: epoch and batches already handed out in it.

        A ``DataLoader`` with workers asks for batches ahead of the training
        loop; save the number of steps the loop finished instead, by
        overwriting ``"position"``.
        """
        return {"seed": self.seed, "epoch": self.epoch, "position": self.position,
                "num_replicas": self.num_replicas}  # fmt: skip

    def load_state_dict(self, state: dict) -> None:
        """Continue from :meth:`state_dict`'s epoch and position (same seed and ranks)."""
        for key in ("seed", "num_replicas"):
            if state.get(key) != getattr(self, key):
                raise ValueError(
                    f"state[{key!r}]={state.get(key)!r} does not match this sampler's "
                    f"{key}={getattr(self, key)!r}"
                )
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        if not 0 <= self.position <= len(self):
            raise ValueError(
                f"state['position']={self.position} is outside the epoch's {len(self)} batches"
            )


class BucketBatchSampler(_EpochBatchSampler):
    """:func:`padguide.batching.bucket_batches` as a ``batch_sampler`` for a ``DataLoader``.

    >>> sampler = BucketBatchSampler([3, 9, 4, 8, 2, 7], batch_size=2, seed=0)
    >>> len(sampler), sorted(len(b) for b in sampler)
    (3, [2, 2, 2])
    """

    def __init__(
        self,
        lengths,
        batch_size: int,
        *,
        seed: int = 0,
        overlap: float = 0.1,
        width: float | None = None,
        num_replicas: int | None = None,
        rank: int | None = None,
    ) -> None:
        super().__init__(lengths, seed=seed, num_replicas=num_replicas, rank=rank)
        self.batch_size = B._check_positive("batch_size", batch_size)
        if width is None:  # chosen once from the lengths, the same every epoch
            width = B.overlap_width(self.lengths, self.batch_size, overlap)
        self.width = B._check_width(width)

    def _epoch_batches(self, seed) -> list[np.ndarray]:
        return B.bucket_batches(
            self.lengths, self.batch_size, seed=seed, width=self.width
        )


class TokenBudgetBatchSampler(_EpochBatchSampler):
    """:func:`padguide.batching.token_budget_batches` as a ``batch_sampler``.

    The number of batches changes a little from epoch to epoch; ``len()``
    is the current epoch's, the same on every rank.
    """

    def __init__(
        self,
        lengths,
        max_tokens: int,
        *,
        seed: int = 0,
        overlap: float = 0.1,
        width: float | None = None,
        num_replicas: int | None = None,
        rank: int | None = None,
    ) -> None:
        super().__init__(lengths, seed=seed, num_replicas=num_replicas, rank=rank)
        self.lengths, self.max_tokens = B._check_fits(
            self.lengths, "max_tokens", max_tokens
        )
        if width is None:
            width = B._budget_width(self.lengths, self.max_tokens, overlap)
        self.width = B._check_width(width)

    def _epoch_batches(self, seed) -> list[np.ndarray]:
        return B.token_budget_batches(self.lengths, self.max_tokens, seed=seed,
                                      width=self.width)  # fmt: skip
