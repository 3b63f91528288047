"""Training infrastructure: patient-level split, seeding, device choice, batching, early stopping, resume."""
import dataclasses

import numpy as np
import pytest
import torch

from embeddings import training
from embeddings.encoders.base import TrainingOptions
from embeddings.encoders.cnn_autoencoder import CNNAutoencoderEncoder
from embeddings.errors import TrainingError
from embeddings.splits import patient_split
from tests.embeddings.conftest import two_class_data

GROUPS = [f"p{i // 3}" for i in range(60)]  # 20 patients, 3 images each
LABELS = [("a", "b")[(i // 3) % 2] for i in range(60)]


def test_patient_split_keeps_every_group_on_one_side():
    kept, held_out = patient_split(GROUPS, held_out_fraction=0.25, seed=3, labels=LABELS)

    assert not {GROUPS[i] for i in kept} & {GROUPS[i] for i in held_out}
    assert sorted(kept.tolist() + held_out.tolist()) == list(range(60))
    assert 12 <= len(held_out) <= 21


def test_patient_split_puts_every_label_on_both_sides():
    kept, held_out = patient_split(GROUPS, held_out_fraction=0.2, seed=0, labels=LABELS)

    assert {LABELS[i] for i in kept} == {LABELS[i] for i in held_out} == {"a", "b"}


def test_patient_split_is_fixed_by_the_seed():
    first = patient_split(GROUPS, held_out_fraction=0.2, seed=7)
    again = patient_split(GROUPS, held_out_fraction=0.2, seed=7)
    other = patient_split(GROUPS, held_out_fraction=0.2, seed=8)

    assert first[1].tolist() == again[1].tolist()
    assert first[1].tolist() != other[1].tolist()


def test_seed_everything_repeats_random_draws():
    training.seed_everything(5)
    first = (np.random.rand(), torch.rand(1).item())
    training.seed_everything(5)

    assert (np.random.rand(), torch.rand(1).item()) == first


def test_choose_device_auto_falls_back_to_cpu_and_refuses_unknown_names():
    expected = "cuda" if torch.cuda.is_available() else "cpu"

    assert training.choose_device("auto").type == expected
    with pytest.raises(ValueError, match="auto, cpu or cuda"):
        training.choose_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown without CUDA")
def test_choose_device_cuda_without_a_gpu_explains_why():
    with pytest.raises(ValueError, match="no CUDA device"):
        training.choose_device("cuda")


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    stopper = training.EarlyStopping(patience=2)

    improved = [stopper.update(metric) for metric in (0.5, 0.6, 0.6, 0.59)]

    assert improved == [True, True, False, False]
    assert stopper.should_stop


def test_epoch_batches_are_reproducible_and_never_hold_a_single_image():
    batches = training.epoch_batches(9, 4, seed=1, epoch=0)

    assert [len(batch) for batch in batches] == [4, 4]
    assert [b.tolist() for b in training.epoch_batches(9, 4, seed=1, epoch=0)] == [b.tolist() for b in batches]


def test_augment_keeps_the_shape_and_moves_pixels():
    batch = torch.rand(4, 1, 16, 16)

    augmented = training.augment(batch, torch.Generator().manual_seed(0))

    assert augmented.shape == (4, 1, 16, 16)
    assert not torch.allclose(augmented, batch)


def test_interrupted_training_resumes_from_its_work_dir(tmp_path):
    options = TrainingOptions(epochs=3, img_size=16, batch_size=4, work_dir=tmp_path / "work")
    uninterrupted = CNNAutoencoderEncoder.fit(two_class_data(8, 0), two_class_data(8, 1), dataclasses.replace(options, work_dir=None))

    with pytest.raises(KeyboardInterrupt):
        CNNAutoencoderEncoder.fit(two_class_data(8, 0), two_class_data(8, 1), options, progress=_interrupt_after_first_epoch)
    resumed = CNNAutoencoderEncoder.fit(two_class_data(8, 0), two_class_data(8, 1), options)

    assert [entry["epoch"] for entry in resumed.history] == [1, 2, 3]
    assert [entry["loss"] for entry in resumed.history] == pytest.approx([e["loss"] for e in uninterrupted.history])


def _interrupt_after_first_epoch(epoch: int, metrics: dict) -> None:
    raise KeyboardInterrupt


def test_time_budget_stops_before_an_epoch_that_would_overrun():
    options = TrainingOptions(epochs=10, extra={"max_seconds": 25})
    history = [{"seconds": 9.0, "validation_seconds": 1.0}, {"seconds": 9.0, "validation_seconds": 1.0}]

    assert training._out_of_time(history[:1], options) is False
    assert training._out_of_time(history, options) is True
    assert training._out_of_time(history, TrainingOptions(epochs=10)) is False


def test_jitter_intensity_stays_in_range_and_changes_pixels():
    batch = torch.linspace(0, 1, 4 * 16 * 16).reshape(4, 1, 16, 16)
    jittered = training.jitter_intensity(batch, torch.Generator().manual_seed(0))
    assert jittered.shape == batch.shape
    assert float(jittered.min()) >= 0.0 and float(jittered.max()) <= 1.0
    assert not torch.allclose(jittered, batch)


def test_augment_shift_translates_the_content():
    batch = torch.zeros(1, 1, 16, 16)
    batch[0, 0, 6:10, 6:10] = 1.0
    moved = training.augment(batch, torch.Generator().manual_seed(3), degrees=0.0, scale=(1.0, 1.0),
                             flip=False, shift=0.25)
    centre = lambda image: (image[0, 0].nonzero().float().mean(0))
    assert float((centre(moved) - centre(batch)).abs().max()) >= 1.0


def test_weight_average_moves_towards_the_weights_and_is_only_applied_inside_its_block():
    model = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.BatchNorm1d(1))
    torch.nn.init.zeros_(model[0].weight)
    average = training.WeightAverage(model, decay=0.75)
    with torch.no_grad():
        model[0].weight.fill_(4.0)
    average.update(model)

    assert average.average["0.weight"].tolist() == [[1.0, 1.0]]  # 0.75 * 0 + 0.25 * 4
    with average.applied(model):
        assert model[0].weight.tolist() == [[1.0, 1.0]]
    assert model[0].weight.tolist() == [[4.0, 4.0]]


def test_training_with_a_weight_average_keeps_the_average_and_resumes_it(tmp_path):
    options = TrainingOptions(epochs=3, img_size=16, batch_size=4, work_dir=tmp_path / "work",
                              extra={"weight_average_decay": 0.9})
    plain = CNNAutoencoderEncoder.fit(two_class_data(8, 0), two_class_data(8, 1),
                                      dataclasses.replace(options, work_dir=None, extra=None))
    uninterrupted = CNNAutoencoderEncoder.fit(two_class_data(8, 0), two_class_data(8, 1), dataclasses.replace(options, work_dir=None))

    with pytest.raises(KeyboardInterrupt):
        CNNAutoencoderEncoder.fit(two_class_data(8, 0), two_class_data(8, 1), options, progress=_interrupt_after_first_epoch)
    resumed = CNNAutoencoderEncoder.fit(two_class_data(8, 0), two_class_data(8, 1), options)

    images = two_class_data(8, 1).images
    assert [e["loss"] for e in uninterrupted.history] == pytest.approx([e["loss"] for e in plain.history])
    assert not np.allclose(uninterrupted.encoder.embed(images), plain.encoder.embed(images))
    np.testing.assert_allclose(resumed.encoder.embed(images), uninterrupted.encoder.embed(images), rtol=1e-5, atol=1e-6)
    assert [e["validation_metric"] for e in resumed.history] == \
        pytest.approx([e["validation_metric"] for e in uninterrupted.history])


def test_a_time_budget_that_is_not_a_number_is_refused_by_name():
    with pytest.raises(TrainingError, match="--option max_seconds takes a number, got 'soon'"):
        training._out_of_time([], TrainingOptions(extra={"max_seconds": "soon"}))


def test_a_shortened_one_cycle_anneals_by_its_new_end():
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([parameter], lr=1e-3)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-3, total_steps=200, pct_start=0.15)
    for _ in range(10):
        optimizer.step()
        scheduler.step()

    training.shorten_one_cycle(scheduler, 80)
    rates = []
    for _ in range(69):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])

    assert max(rates) == pytest.approx(1e-3, rel=0.01)  # the peak moved to 15 % of 80 steps, still ahead
    assert rates[-1] == pytest.approx(1e-3 / 25 / 1e4, rel=1e-3)  # step 79 of 80: fully annealed


def test_a_time_cap_that_cuts_the_run_fits_the_schedule_instead_of_stopping_at_a_high_rate(monkeypatch):
    ticks = iter(range(0, 10_000, 5))  # every clock reading is 5 s after the previous one
    monkeypatch.setattr(training.time, "monotonic", lambda: next(ticks))
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=40, pct_start=0.15)
    used = []  # the learning rate of every optimiser step

    def train_step(batch, generator):
        used.append(optimizer.param_groups[0]["lr"])
        return model(torch.ones(1, 1)).sum() ** 2

    parts = training.LoopParts(
        model=model, optimizer=optimizer, scheduler=scheduler, steps_per_epoch=4, train_step=train_step,
        validate=lambda: 0.5,
        batch_plan=lambda epoch: [np.arange(1)] * 4,
        fit_schedule=lambda epochs: training.shorten_one_cycle(scheduler, epochs * 4))

    result = training.run_training_loop(parts, TrainingOptions(epochs=10, extra={"max_seconds": 35}))

    assert len(result.history) == 3  # 10 s an epoch (training and validation): three fit in 35 s
    assert len(used) == 12 and used[-1] == pytest.approx(1e-2 / 25 / 1e4, rel=1e-3)  # the last step annealed
    assert max(used) > 5e-3  # it did train at a high rate first
