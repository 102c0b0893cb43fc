"""Tests of dd_lib.mri: the centred FFT, root-sum-of-squares, Cartesian masks and the
fastMRI reader (files in the public fastMRI layout are written here)."""

import h5py
import numpy as np
import pytest
import torch

import dd_lib as dd


def _complex(shape, seed, dtype=torch.complex128):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=dtype)


# --- fft2c / ifft2c ------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(8, 8), (7, 9), (3, 6, 5), (2, 4, 10, 11)])
def test_fft2c_inverts_and_is_orthonormal(shape):
    x = _complex(shape, 0)
    k = dd.fft2c(x)
    torch.testing.assert_close(dd.ifft2c(k), x)
    torch.testing.assert_close(dd.fft2c(dd.ifft2c(x)), x)
    torch.testing.assert_close(torch.linalg.norm(k), torch.linalg.norm(x))


@pytest.mark.parametrize("shape", [(8, 6), (7, 5)])
def test_fft2c_is_numpys_centred_orthonormal_transform(shape):
    x = _complex(shape, 1)
    a = x.numpy()
    ref = np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(a), norm="ortho"))
    np.testing.assert_allclose(dd.fft2c(x).numpy(), ref, atol=1e-12)
    # the constant image has all its energy at the centre of k-space
    one = torch.ones(shape, dtype=torch.complex128)
    k = dd.fft2c(one).abs()
    centre = (shape[0] // 2, shape[1] // 2)
    assert float(k[centre]) == pytest.approx(np.sqrt(shape[0] * shape[1]))
    assert float(k.sum() - k[centre]) == pytest.approx(0, abs=1e-9)


def test_fft2c_keeps_batch_axes_and_dtype():
    x = _complex((2, 3, 4, 4), 2, dtype=torch.complex64)
    k = dd.fft2c(x)
    assert k.shape == x.shape
    assert k.dtype == torch.complex64
    # each image of the batch is transformed on its own
    torch.testing.assert_close(k[1, 2], dd.fft2c(x[1, 2]))


@pytest.mark.parametrize(
    ("x", "match"),
    [
        (np.ones((4, 4), dtype=complex), "torch.Tensor"),
        (torch.ones(4, dtype=torch.complex64), "two axes"),
        (torch.ones(4, 4), "complex"),
    ],
)
def test_fft2c_bad_input(x, match):
    with pytest.raises(ValueError, match=match):
        dd.fft2c(x)
    with pytest.raises(ValueError, match=match):
        dd.ifft2c(x)


# --- rss -----------------------------------------------------------------------------


def test_rss_of_normalised_coil_images_is_the_magnitude():
    x = _complex((6, 5), 3)
    sens = _complex((4, 6, 5), 4)
    sens = sens / torch.sqrt(torch.sum(sens.abs() ** 2, dim=0))  # sum_c |S_c|^2 = 1
    torch.testing.assert_close(dd.rss(sens * x, dim=0), x.abs())
    assert dd.rss(sens * x).dtype == torch.float64


def test_rss_axis_and_bad_input():
    x = torch.tensor([[[3.0, 0.0]], [[4.0, 2.0]]])  # shape (2, 1, 2)
    torch.testing.assert_close(dd.rss(x, dim=0), torch.tensor([[5.0, 2.0]]))
    torch.testing.assert_close(
        dd.rss(x, dim=-1), torch.tensor([[3.0], [float(np.sqrt(20))]])
    )
    with pytest.raises(ValueError, match="axis"):
        dd.rss(x, dim=3)
    with pytest.raises(ValueError, match=r"torch\.Tensor"):
        dd.rss(np.ones(3))


# --- cartesian_mask ------------------------------------------------------------------


@pytest.mark.parametrize("kind", dd.MASK_KINDS)
@pytest.mark.parametrize(
    ("width", "acc", "cf"),
    [(368, 4, 0.08), (368, 8, 0.04), (320, 4, 0.08), (37, 3, 0.1)],
)
def test_cartesian_mask_counts_and_centre(kind, width, acc, cf):
    mask = dd.cartesian_mask(
        width, acceleration=acc, center_fraction=cf, kind=kind, seed=5
    )
    assert mask.dtype == bool
    assert mask.shape == (width,)
    n_low = round(width * cf)
    start = (width - n_low + 1) // 2
    assert mask[start : start + n_low].all()
    # fastMRI's centre band contains the zero frequency of fft2c (index width // 2)
    assert start <= width // 2 < start + n_low
    assert int(mask.sum()) == max(n_low, round(width / acc))


def test_cartesian_mask_same_seed_same_mask_and_seeds_differ():
    kw = dict(acceleration=4, center_fraction=0.08)
    a = dd.cartesian_mask(368, seed=1, **kw)
    np.testing.assert_array_equal(a, dd.cartesian_mask(368, seed=1, **kw))
    assert not np.array_equal(a, dd.cartesian_mask(368, seed=2, **kw))


def test_cartesian_mask_random_lines_are_uniform_outside_the_centre():
    # every outside line is chosen with the same probability (r / outside lines)
    width, kw = 64, dict(acceleration=4, center_fraction=0.125)
    masks = np.array(
        [dd.cartesian_mask(width, seed=s, **kw) for s in range(2000)], dtype=float
    )
    n_low = 8
    start = (width - n_low + 1) // 2
    outside = np.ones(width, dtype=bool)
    outside[start : start + n_low] = False
    p = (16 - n_low) / outside.sum()
    freq = masks[:, outside].mean(axis=0)
    # 2000 draws: standard error sqrt(p(1-p)/2000) = 0.0079; 5 standard errors
    assert np.abs(freq - p).max() < 5 * np.sqrt(p * (1 - p) / 2000)


def test_cartesian_mask_equispaced_spacing():
    width = 100
    mask = dd.cartesian_mask(
        width, acceleration=5, center_fraction=0.1, kind="equispaced", seed=3
    )
    n_low = 10
    start = (width - n_low + 1) // 2
    outside = np.flatnonzero(
        ~np.isin(np.arange(width), np.arange(start, start + n_low))
    )
    chosen = np.flatnonzero(np.isin(outside, np.flatnonzero(mask)))
    # 10 lines among the 90 outside ones: gaps of 9 outside lines, +-1 from rounding
    assert chosen.size == 10
    assert set(np.diff(chosen)) <= {8, 9, 10}


def test_cartesian_mask_edge_cases():
    # acceleration 1 samples everything; a centre larger than width / acceleration
    # is kept whole
    assert dd.cartesian_mask(20, acceleration=1, center_fraction=0.1).all()
    m = dd.cartesian_mask(20, acceleration=10, center_fraction=0.5)
    assert int(m.sum()) == 10
    assert m[5:15].all()
    assert int(dd.cartesian_mask(1, acceleration=1, center_fraction=0).sum()) == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(width=0), "width"),
        (dict(acceleration=0.5), "acceleration"),
        (dict(acceleration=float("inf")), "acceleration"),
        (dict(center_fraction=1.5), "center_fraction"),
        (dict(center_fraction=-0.1), "center_fraction"),
        (dict(kind="poisson"), "kind"),
        (dict(seed=-1), "seed"),
    ],
)
def test_cartesian_mask_bad_input(kwargs, match):
    args = dict(width=32, acceleration=4, center_fraction=0.08)
    args.update(kwargs)
    width = args.pop("width")
    with pytest.raises(ValueError, match=match):
        dd.cartesian_mask(width, **args)


# --- load_fastmri_slice --------------------------------------------------------------


def _write(path, kspace, **datasets):
    with h5py.File(path, "w") as f:
        f.create_dataset("kspace", data=kspace)
        for key, value in datasets.items():
            f.create_dataset(key, data=value)
        f.create_dataset("ismrmrd_header", data=np.bytes_(b"<ismrmrdHeader/>"))
        f.attrs["acquisition"] = "CORPD_FBK"
        f.attrs["max"] = 1.0


def test_load_multicoil_slice_and_target(tmp_path):
    rng = np.random.default_rng(0)
    ksp = rng.standard_normal((3, 4, 16, 12)) + 1j * rng.standard_normal((3, 4, 16, 12))
    ksp = ksp.astype(np.complex64)
    target = rng.random((3, 320, 320)).astype(np.float32)
    path = tmp_path / "file_multicoil.h5"
    _write(path, ksp, reconstruction_rss=target)
    k1, t1 = dd.load_fastmri_slice(path, 1)
    assert k1.shape == (4, 16, 12)
    assert k1.dtype == np.complex64
    np.testing.assert_array_equal(k1, ksp[1])
    np.testing.assert_array_equal(t1, target[1])
    k2, _ = dd.load_fastmri_slice(str(path), np.int64(2))  # str paths, NumPy indices
    np.testing.assert_array_equal(k2, ksp[2])


def test_load_singlecoil_gets_a_coil_axis_and_esc_target(tmp_path):
    ksp = (np.arange(2 * 8 * 6) * (1 + 1j)).reshape(2, 8, 6).astype(np.complex64)
    esc = np.ones((2, 320, 320), dtype=np.float32)
    path = tmp_path / "file_singlecoil.h5"
    _write(path, ksp, reconstruction_esc=esc)
    k, t = dd.load_fastmri_slice(path, 0)
    assert k.shape == (1, 8, 6)
    np.testing.assert_array_equal(k[0], ksp[0])
    assert t is not None
    assert t.shape == (320, 320)


def test_load_without_target_and_errors(tmp_path):
    ksp = np.zeros((2, 3, 8, 8), dtype=np.complex64)
    path = tmp_path / "test_file.h5"
    _write(path, ksp)
    _, t = dd.load_fastmri_slice(path, 0)
    assert t is None
    with pytest.raises(FileNotFoundError, match="no fastMRI file"):
        dd.load_fastmri_slice(tmp_path / "missing.h5", 0)
    for bad in (-1, 2, 1.0, True):
        with pytest.raises(ValueError, match="index"):
            dd.load_fastmri_slice(path, bad)
    empty = tmp_path / "empty.h5"
    with h5py.File(empty, "w") as f:
        f.create_dataset("image", data=np.zeros(3))
    with pytest.raises(ValueError, match="kspace"):
        dd.load_fastmri_slice(empty, 0)
    flat = tmp_path / "flat.h5"
    with h5py.File(flat, "w") as f:
        f.create_dataset("kspace", data=np.zeros((4, 4), dtype=np.complex64))
    with pytest.raises(ValueError, match="slices"):
        dd.load_fastmri_slice(flat, 0)


# --- MultiCoilFourier and center_crop ---------------------------------------------


def _mask(width=8):
    return dd.cartesian_mask(width, acceleration=2, center_fraction=0.25, seed=1)


def _channels(z):
    """(coils, H, W) complex -> (1, 2 coils, H, W): real, imaginary per coil."""
    return torch.view_as_real(z).permute(0, 3, 1, 2).reshape(1, -1, *z.shape[1:])


def test_multicoil_without_sensitivities_is_fft_of_each_coil():
    mask = _mask()
    A = dd.MultiCoilFourier(mask, (6, 8), coils=3, device="cpu")
    coils = _complex((3, 6, 8), 5, dtype=torch.complex64)
    y = A(_channels(coils))
    assert tuple(y.shape) == (1, 6, 6, int(mask.sum()))
    ref = np.fft.fftshift(
        np.fft.fft2(np.fft.ifftshift(coils.numpy(), axes=(-2, -1)), norm="ortho"),
        axes=(-2, -1),
    )[..., mask]
    np.testing.assert_allclose(y[0, 0::2].numpy(), ref.real, atol=1e-5)
    np.testing.assert_allclose(y[0, 1::2].numpy(), ref.imag, atol=1e-5)
    # the image is the root-sum-of-squares of the coil images
    torch.testing.assert_close(A.image(_channels(coils)), dd.rss(coils))


def test_multicoil_with_sensitivities_and_measure():
    mask = _mask()
    sens = _complex((4, 6, 8), 6, dtype=torch.complex64)
    sens = sens / torch.sqrt(torch.sum(sens.abs() ** 2, dim=0))
    A = dd.MultiCoilFourier(mask, (6, 8), sensitivities=sens, device="cpu")
    assert A.in_channels == 2
    image = _complex((1, 6, 8), 7, dtype=torch.complex64)
    x = _channels(image)
    kspace = dd.fft2c(sens * image[0])
    torch.testing.assert_close(A(x), A.measure(kspace))
    # with sum_c |S_c|^2 = 1 the coil images' rss is |x|
    torch.testing.assert_close(dd.rss(A.coil_images(x)), image[0].abs())
    torch.testing.assert_close(A.image(x), image[0].abs())


def test_multicoil_zero_filled_is_the_adjoint():
    mask = _mask()
    A = dd.MultiCoilFourier(mask, (6, 8), coils=2, device="cpu")
    x = _channels(_complex((2, 6, 8), 8, dtype=torch.complex64))
    y = torch.randn(
        1, 4, 6, int(mask.sum()), generator=torch.Generator().manual_seed(9)
    )
    lhs = torch.sum(A(x) * y)
    rhs = torch.sum(x * _channels(A.zero_filled(y)))
    torch.testing.assert_close(lhs, rhs, rtol=1e-5, atol=1e-5)
    # fully sampled: zero filling of the measurements returns the coil images
    full = dd.MultiCoilFourier(np.ones(8, dtype=bool), (6, 8), coils=2, device="cpu")
    torch.testing.assert_close(_channels(full.zero_filled(full(x))), x)


def test_multicoil_fits_with_dd_fit():
    mask = _mask(16)
    A = dd.MultiCoilFourier(mask, (16, 16), coils=2, device="cpu")
    target = _channels(_complex((2, 16, 16), 10, dtype=torch.complex64)) * 0.1 + 0.5
    y = A(target).detach()
    net = dd.DeepDecoder(16, 8, 2, 4, seed=0, device="cpu")
    res = dd.fit(net, y, operator=A, steps=30, lr=0.01, record_every=10, progress=False)
    assert res.loss[-1] < res.loss[0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(mask=np.ones(8, dtype=int)), "boolean"),
        (dict(mask=np.ones(7, dtype=bool)), "boolean"),
        (dict(mask=np.zeros(8, dtype=bool)), "at least one"),
        (dict(coils=None), "either"),
        (dict(sensitivities=np.ones((2, 6, 8))), "either"),
        (dict(coils=None, sensitivities=np.ones((2, 5, 8))), "sensitivities"),
        (dict(shape=(6, 8, 1)), "shape"),
    ],
)
def test_multicoil_bad_input(kwargs, match):
    args = dict(mask=_mask(), shape=(6, 8), coils=2, device="cpu")
    args.update(kwargs)
    mask, shape = args.pop("mask"), args.pop("shape")
    with pytest.raises(ValueError, match=match):
        dd.MultiCoilFourier(mask, shape, **args)


def test_multicoil_bad_shapes_at_call():
    A = dd.MultiCoilFourier(_mask(), (6, 8), coils=2, device="cpu")
    with pytest.raises(ValueError, match="input"):
        A(torch.zeros(1, 2, 6, 8))
    with pytest.raises(ValueError, match="kspace"):
        A.measure(np.zeros((3, 6, 8), dtype=complex))
    with pytest.raises(ValueError, match="y must"):
        A.zero_filled(torch.zeros(1, 4, 6, 8))


def test_center_crop():
    a = np.arange(6 * 7).reshape(6, 7)
    np.testing.assert_array_equal(dd.center_crop(a, (2, 3)), a[2:4, 2:5])
    t = torch.arange(2 * 5 * 4).reshape(2, 5, 4)
    assert tuple(dd.center_crop(t, (3, 2)).shape) == (2, 3, 2)
    with pytest.raises(ValueError, match="fit"):
        dd.center_crop(a, (7, 2))


def test_mri_metrics_fastmri_convention():
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    rng = np.random.default_rng(11)
    target = rng.random((12, 10)) * 3
    est = (target + 0.05 * rng.standard_normal((12, 10))) * np.exp(1j * 0.3)
    out = dd.mri_metrics(target, est, crop=(8, 8))
    ref = dd.center_crop(target, (8, 8))
    mag = dd.center_crop(np.abs(est), (8, 8))
    peak = ref.max()
    assert out["psnr"] == pytest.approx(
        peak_signal_noise_ratio(ref, mag, data_range=peak)
    )
    assert out["ssim"] == pytest.approx(
        structural_similarity(ref, mag, data_range=peak)
    )
    # torch tensors and complex targets give the same numbers
    out_t = dd.mri_metrics(
        torch.as_tensor(target + 0j), torch.as_tensor(est), crop=(8, 8)
    )
    assert out_t == pytest.approx(out)
    with pytest.raises(ValueError, match="same shape"):
        dd.mri_metrics(target, est[:, :9])
    with pytest.raises(ValueError, match="2-D"):
        dd.mri_metrics(target[None], est[None])
    with pytest.raises(ValueError, match="positive"):
        dd.mri_metrics(np.zeros((8, 8)), np.ones((8, 8)))
    with pytest.raises(ValueError, match="fit"):
        dd.mri_metrics(target, est, crop=(20, 4))


def test_smooth_phase():
    phi = dd.smooth_phase((9, 7), amplitude=1.0)
    assert phi.shape == (9, 7)
    # the stated formula at the corners and the centre
    assert phi[0, 0] == pytest.approx(-0.6 - 0.3 + 0.8 - 0.3)
    assert phi[-1, -1] == pytest.approx(0.6 + 0.3 + 0.8 - 0.3)
    assert phi[4, 3] == pytest.approx(-0.3)
    np.testing.assert_array_equal(dd.smooth_phase((3, 3), amplitude=0.0), 0)
    with pytest.raises(ValueError, match="shape"):
        dd.smooth_phase((3, 3, 3))
    with pytest.raises(ValueError, match="amplitude"):
        dd.smooth_phase((3, 3), amplitude=np.inf)


def test_simulate_multicoil_truth_and_noise():
    rng = np.random.default_rng(12)
    image = rng.random((24, 20))
    out = dd.simulate_multicoil(image, coils=8, snr_db=20, seed=3)
    sens = out["sensitivities"]
    assert sens.shape == (8, 24, 20)
    np.testing.assert_allclose(np.sum(np.abs(sens) ** 2, axis=0), 1, atol=1e-5)
    # the ground truth: rss of the noiseless coil images is the image, |x| = image
    coil_images = dd.ifft2c(torch.as_tensor(out["noiseless"]))
    np.testing.assert_allclose(dd.rss(coil_images).numpy(), image, atol=1e-5)
    np.testing.assert_allclose(np.abs(out["image"]), image, atol=1e-6)
    # the noise has the stated SNR (480 x 8 complex samples: within 0.2 dB)
    z = out["kspace"] - out["noiseless"]
    snr = 10 * np.log10(
        np.mean(np.abs(out["noiseless"]) ** 2) / np.mean(np.abs(z) ** 2)
    )
    assert snr == pytest.approx(20, abs=0.2)
    # same seed, same noise; another seed, other noise; no SNR, no noise
    again = dd.simulate_multicoil(image, coils=8, snr_db=20, seed=3)
    np.testing.assert_array_equal(again["kspace"], out["kspace"])
    other = dd.simulate_multicoil(image, coils=8, snr_db=20, seed=4)
    assert not np.array_equal(other["kspace"], out["kspace"])
    clean = dd.simulate_multicoil(image, coils=2)
    np.testing.assert_array_equal(clean["kspace"], clean["noiseless"])


@pytest.mark.parametrize(
    ("image", "kwargs", "match"),
    [
        (np.ones(8), {}, "2-D"),
        (-np.ones((8, 8)), {}, "non-negative"),
        (np.full((8, 8), np.nan), {}, "finite"),
        (np.ones((8, 8)), dict(coils=0), "coils"),
        (np.ones((8, 8)), dict(seed=-1), "seed"),
    ],
)
def test_simulate_multicoil_bad_input(image, kwargs, match):
    with pytest.raises(ValueError, match=match):
        dd.simulate_multicoil(image, **kwargs)
