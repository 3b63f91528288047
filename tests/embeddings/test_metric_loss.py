"""DDCML's discriminative loss: partner draws, its value on separated vs mixed classes, and its pull."""
import torch

from embeddings.metric_loss import _draw_partners, discriminative_loss


def test_partners_belong_to_the_class_and_are_never_the_row_itself():
    targets = torch.tensor([0, 0, 1, 1, 1, 2])
    generator = torch.Generator().manual_seed(0)

    for label in (0, 1):
        for _ in range(20):
            partners = _draw_partners(targets, label, generator)
            assert torch.all(targets[partners] == label)
            assert not torch.any(partners == torch.arange(6))


def test_a_class_with_one_member_has_no_partner_for_that_member():
    partners = _draw_partners(torch.tensor([0, 0, 1]), 1, torch.Generator().manual_seed(0))

    assert partners.tolist() == [2, 2, -1]


def test_separated_classes_cost_less_than_mixed_ones():
    targets = torch.tensor([0, 0, 0, 1, 1, 1])
    separated = torch.tensor([[0.0, 0], [0.1, 0], [0, 0.1], [3, 3], [3.1, 3], [3, 3.1]])
    mixed = separated[[0, 3, 1, 4, 2, 5]]

    low = discriminative_loss(separated, targets, torch.Generator().manual_seed(0))
    high = discriminative_loss(mixed, targets, torch.Generator().manual_seed(0))

    assert float(low) < 0.01 < float(high)


def test_no_same_class_partner_anywhere_gives_zero_with_a_gradient_path():
    latents = torch.randn(3, 4, requires_grad=True)

    loss = discriminative_loss(latents, torch.tensor([0, 1, 2]), torch.Generator().manual_seed(0))
    loss.backward()

    assert float(loss.detach()) == 0.0 and latents.grad is not None


def test_gradient_steps_bring_same_class_latents_closer_than_other_classes():
    torch.manual_seed(0)
    targets = torch.tensor([0, 1] * 8)
    latents = torch.randn(16, 8, requires_grad=True)
    assert _same_to_other_distance_ratio(latents.detach(), targets) > 0.9
    optimizer = torch.optim.SGD([latents], lr=0.05)
    generator = torch.Generator().manual_seed(0)

    for _ in range(200):
        optimizer.zero_grad()
        discriminative_loss(latents, targets, generator).backward()
        optimizer.step()

    assert _same_to_other_distance_ratio(latents.detach(), targets) < 0.8  # random start: about 1


def _same_to_other_distance_ratio(latents: torch.Tensor, targets: torch.Tensor) -> float:
    distances = torch.cdist(latents, latents)
    same = targets.unsqueeze(0) == targets.unsqueeze(1)
    off_diagonal = ~torch.eye(len(targets), dtype=torch.bool)
    return float(distances[same & off_diagonal].mean() / distances[~same].mean())


def test_the_gradient_is_bit_identical_from_run_to_run():
    """Identical training runs must give identical models (the demo's autoencoder used to differ)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # the nondeterminism needs threads that race
    latents = torch.randn(256, 512, generator=torch.Generator().manual_seed(0))
    targets = torch.arange(256) % 3

    def gradient() -> torch.Tensor:
        rows = latents.clone().requires_grad_(True)
        discriminative_loss(rows, targets, torch.Generator().manual_seed(1)).backward()
        return rows.grad

    try:
        first = gradient()
        assert all(torch.equal(first, gradient()) for _ in range(20))
    finally:
        torch.set_num_threads(threads)
