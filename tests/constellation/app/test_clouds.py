from collections import Counter

import numpy as np

from constellation.app.clouds import cloud_image


def test_cloud_image_shape_and_blank():
    image = cloud_image(Counter({"llama": 10, "qwen 2.5": 5}), width=200, height=100)
    assert image.shape == (100, 200, 3) and image.dtype == np.uint8 and (image != 255).any()
    assert (cloud_image(Counter(), width=20, height=10) == 255).all()
