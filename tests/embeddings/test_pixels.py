"""Images to network squares: resizing and the foreground crop."""
import numpy as np

from embeddings.pixels import crop_to_foreground, prepare_square, resize_square


def test_resize_square_gives_uint8_squares():
    squares = resize_square([np.zeros((10, 30), np.uint8), np.full((40, 20), 9, np.uint8)], 16)

    assert squares.shape == (2, 16, 16) and squares.dtype == np.uint8


def test_crop_to_foreground_keeps_the_content_in_a_square_without_stretching():
    image = np.zeros((120, 200), np.uint8)
    image[20:100, 50:110] = 200  # 80 rows x 60 columns of content

    cropped = crop_to_foreground(image, margin=0.0)

    assert cropped.shape == (80, 80)  # the longer side of the content, aspect kept
    assert (cropped[:, 10:70] == 200).all()  # content centred, columns padded
    assert (cropped[:, :10] == 0).all() and (cropped[:, 70:] == 0).all()


def test_crop_to_foreground_ignores_specks_and_pads_beyond_the_edge():
    image = np.zeros((100, 100), np.uint8)
    image[0:100, 10:30] = 150  # a tall bar touching the top, the bottom and almost the left edge
    image[50, 95] = 255  # one speck: below min_share of its row and column

    cropped = crop_to_foreground(image, margin=0.1)

    assert cropped.shape == (120, 120)  # 100 + 10 % on each side, beyond the image
    assert cropped[:10].max() == 0 and cropped[110:].max() == 0  # filled with black, not wrapped
    assert cropped[10:110, 50:70].min() == 150 and cropped[:, :50].max() == 0 and cropped[:, 70:].max() == 0


def test_crop_to_foreground_returns_a_blank_image_unchanged():
    blank = np.zeros((30, 50), np.uint8)

    assert crop_to_foreground(blank) is blank


def test_prepare_square_crops_only_when_asked():
    image = np.zeros((64, 64), np.uint8)
    image[24:40, 24:40] = 255

    assert prepare_square([image], 16)[0, 0, 0] == 0
    assert prepare_square([image], 16, crop_foreground=True)[0, 8, 8] == 255
