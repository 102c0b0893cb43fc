"""Make ``dd_lib/data/mni152_t1_axial.npz``: axial slices of the MNI ICBM152 2009a
T1 template, the brain images of chapter 9.

The template ships inside nilearn's wheel (``nilearn.datasets.load_mni152_template``,
1 mm, 197 x 233 x 189, skull-stripped, intensities k / 255).  The course does not
depend on nilearn (it adds about 180 MB and 19 s to the install); this script, run
once, stores a few slices instead.  To re-create the file::

    python -m venv /tmp/nl && /tmp/nl/bin/pip install nilearn==0.14.1
    /tmp/nl/bin/python book/tools/make_brain_slices.py

The stored array ``slices`` is uint8, shape (len(z), 233, 197): ``round(255 * t)``
of the template ``t`` (exact, as the template's values are multiples of 1/255),
each slice rotated so that anterior is up and the subject's left is on the
image's right (radiological view).  ``z`` holds the template's slice indices and
``z_mm`` their MNI z coordinates.  The template's licence notice travels with the
file (``dd_lib/data/MNI152_NOTICE.txt``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

Z_INDICES = (70, 80, 90, 100)


def main() -> None:
    from nilearn.datasets import load_mni152_template

    img = load_mni152_template(resolution=1)
    vol = np.asarray(img.get_fdata())
    codes = np.round(vol * 255)
    if np.abs(codes - vol * 255).max() > 1e-3:
        raise RuntimeError("the template's values are not multiples of 1/255")
    # axes (x: left->right, y: posterior->anterior); rot90 puts anterior up and
    # x to the columns, then flip so that the subject's left is on the right
    slices = np.stack([np.fliplr(np.rot90(codes[:, :, z])) for z in Z_INDICES])
    z_mm = [float(img.affine[2, 2] * z + img.affine[2, 3]) for z in Z_INDICES]
    out = Path(__file__).resolve().parents[2] / "dd_lib" / "data"
    np.savez_compressed(
        out / "mni152_t1_axial.npz",
        slices=slices.astype(np.uint8),
        z=np.asarray(Z_INDICES, dtype=np.int64),
        z_mm=np.asarray(z_mm),
    )
    print("wrote", out / "mni152_t1_axial.npz", slices.shape, z_mm)


if __name__ == "__main__":
    main()
