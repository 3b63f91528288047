"""Slice-to-series aggregation of whole-series queries (pure, no database)."""
import pytest

from browser.ranking import aggregate_series


def test_series_found_by_every_slice_beats_one_found_by_a_single_slice():
    per_slice = [
        [(1, 10, 0.9), (5, 20, 0.95)],  # slice 0: image 1 of series 10, image 5 of series 20
        [(2, 10, 0.8)],
        [(3, 10, 0.7), (2, 10, 0.75)],  # two images of series 10: the best one counts
    ]

    rows = aggregate_series(per_slice, slice_count=3)

    assert [row["series_id"] for row in rows] == [10, 20]
    assert rows[0]["score"] == pytest.approx((0.9 + 0.8 + 0.75) / 3)
    assert rows[0]["matched_slices"] == 3 and rows[0]["best_image_id"] == 1
    assert rows[1]["score"] == pytest.approx(0.95 / 3) and rows[1]["best_similarity"] == 0.95


def test_no_hits_give_no_series():
    assert aggregate_series([[], []], slice_count=2) == []
