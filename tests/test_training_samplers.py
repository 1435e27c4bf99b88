"""The PyTorch Sampler classes: epochs, ranks, resuming, and a real two-process DDP step."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from padguide.samplers import (
    BucketBatchSampler,
    TokenBudgetBatchSampler,
)

LENGTHS = np.clip(
    np.round(np.random.default_rng(0).lognormal(np.log(12), 1.0, 1001)), 1, 200
).astype(np.int64)


def make(kind, **kwargs):
    if kind == "bucket":
        return BucketBatchSampler(LENGTHS, 16, seed=7, **kwargs)
    return TokenBudgetBatchSampler(LENGTHS, 400, seed=7, **kwargs)


@pytest.mark.parametrize("kind", ["bucket", "budget"])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
def test_every_rank_same_count_every_example_once(kind, replicas):
    for epoch in (0, 1):
        seen, counts = [], set()
        for rank in range(replicas):
            sampler = make(kind, num_replicas=replicas, rank=rank)
            sampler.set_epoch(epoch)
            batches = list(sampler)
            assert len(batches) == len(sampler)
            counts.add(len(batches))
            seen.extend(i for b in batches for i in b)
        assert len(counts) == 1
        assert sorted(seen) == list(range(len(LENGTHS)))
        assert make(kind, num_replicas=replicas, rank=0).plan(epoch).repeated == 0


@pytest.mark.parametrize("kind", ["bucket", "budget"])
def test_deterministic_per_seed_and_epoch(kind):
    a, b = make(kind), make(kind)
    a.set_epoch(3)
    b.set_epoch(3)
    assert list(a) == list(b)
    b.set_epoch(4)
    assert list(a) != list(b)
    if kind == "budget":
        assert max(len(x) * LENGTHS[x].max() for x in b) <= 400


def test_bucket_sampler_makes_as_many_batches_as_random_batching():
    assert len(make("bucket")) == -(-len(LENGTHS) // 16)


def test_more_ranks_than_batches_repeat_a_counted_batch():
    sampler = BucketBatchSampler([3, 4, 5], batch_size=1, num_replicas=2, rank=0)
    plan = sampler.plan()
    assert plan.batches == 2
    assert plan.repeated == 1
    assert plan.split == 0
    split = BucketBatchSampler([3, 4, 5], batch_size=3, num_replicas=2, rank=1).plan()
    assert split.batches == 1
    assert split.split == 1
    assert split.repeated == 0


@pytest.mark.parametrize("kind", ["bucket", "budget"])
def test_resume_mid_epoch_from_saved_state(kind):
    full = make(kind, num_replicas=2, rank=1)
    full.set_epoch(2)
    expected = list(full)

    first = make(kind, num_replicas=2, rank=1)
    first.set_epoch(2)
    iterator = iter(first)
    done = [next(iterator) for _ in range(5)]
    state = first.state_dict()
    assert state["position"] == 5
    assert state["epoch"] == 2

    resumed = make(kind, num_replicas=2, rank=1)
    resumed.load_state_dict(state)
    resumed.set_epoch(2)  # a training loop calls this at the top of the epoch: no reset
    assert done + list(resumed) == expected
    resumed.set_epoch(3)
    assert resumed.position == 0
    assert len(list(resumed)) == len(resumed)


def test_dataloader_takes_it_as_batch_sampler():
    data = [torch.full((int(n),), i) for i, n in enumerate(LENGTHS)]
    loader = torch.utils.data.DataLoader(
        data,
        batch_sampler=make("bucket"),
        collate_fn=lambda rows: torch.nn.utils.rnn.pad_sequence(rows, batch_first=True),
    )
    shapes = [batch.shape for batch in loader]
    assert len(shapes) == len(loader.batch_sampler)
    assert sum(s[0] for s in shapes) == len(LENGTHS)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: BucketBatchSampler([3], 0), ValueError, "batch_size must be >= 1, got 0"),
        (lambda: BucketBatchSampler([3, 4], 2, num_replicas=2, rank=2), ValueError,
         r"rank must be in \[0, num_replicas=2\), got 2"),
        (lambda: BucketBatchSampler([3], 2, num_replicas=2, rank=0), ValueError,
         "fewer than num_replicas=2"),
        (lambda: BucketBatchSampler([3], 2, seed=1.5), TypeError, "seed must be an int"),
        (lambda: TokenBudgetBatchSampler([3, 90], 50), ValueError,
         r"lengths\[1\]=90 exceeds max_tokens=50"),
        (lambda: make("bucket").set_epoch(-1), ValueError, "epoch must be >= 0"),
        (lambda: make("bucket").load_state_dict({**make("bucket").state_dict(), "seed": 8}),
         ValueError, r"state\['seed'\]=8 does not match"),
        (lambda: make("bucket").load_state_dict({**make("bucket").state_dict(), "position": 999}),
         ValueError, "outside the epoch's"),
    ],
)  # fmt: skip
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


DDP_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import torch
    import torch.distributed as dist
    from padguide.samplers import BucketBatchSampler, TokenBudgetBatchSampler

    def main(rank, world, port, out):
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}",
                                rank=rank, world_size=world)
        torch.manual_seed(0)
        lengths = np.clip(np.round(np.random.default_rng(0).lognormal(2.5, 1.0, 301)),
                          1, 80).astype(np.int64)
        data = [torch.randint(1, 50, (int(n),)) for n in lengths]
        model = torch.nn.parallel.DistributedDataParallel(
            torch.nn.Sequential(torch.nn.Embedding(50, 8, padding_idx=0),
                                torch.nn.Linear(8, 50)))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        result = {}
        for name, sampler in (("bucket", BucketBatchSampler(lengths, 8, seed=3)),
                              ("budget", TokenBudgetBatchSampler(lengths, 160, seed=3))):
            sampler.set_epoch(1)
            seen, steps = [], 0
            for batch in sampler:
                ids = torch.nn.utils.rnn.pad_sequence([data[i] for i in batch],
                                                      batch_first=True)
                logits = model(ids)
                real = ids != 0
                loss = torch.nn.functional.cross_entropy(logits[real], ids[real])
                optimizer.zero_grad()
                loss.backward()  # DDP all-reduces here: every rank must take every step
                optimizer.step()
                seen.extend(batch)
                steps += 1
            result[name] = {"seen": seen, "steps": steps, "len": len(sampler)}
        weights = [p.detach().clone() for p in model.parameters()]
        gathered = [None] * world
        dist.all_gather_object(gathered, [w.sum().item() for w in weights])
        result["weights_agree"] = all(g == gathered[0] for g in gathered)
        with open(f"{out}.{rank}.json", "w") as f:
            json.dump(result, f)
        dist.destroy_process_group()

    if __name__ == "__main__":
        port, out = int(sys.argv[1]), sys.argv[2]
        # fork: the children share the parent's imported torch instead of importing it again
        torch.multiprocessing.start_processes(main, args=(2, port, out), nprocs=2,
                                              start_method="fork")
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_ddp_training_step(tmp_path):
    import json

    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    out = tmp_path / "result"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, str(script), str(_free_port()), str(out)],
                   check=True, timeout=120, env=env)  # fmt: skip
    ranks = [json.loads((tmp_path / f"result.{r}.json").read_text()) for r in (0, 1)]
    assert all(r["weights_agree"] for r in ranks)
    for name in ("bucket", "budget"):
        steps = {r[name]["steps"] for r in ranks}
        assert len(steps) == 1
        assert steps == {ranks[0][name]["len"]}
        seen = sorted(i for r in ranks for i in r[name]["seen"])
        assert seen == list(range(301))
