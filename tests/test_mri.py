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


def test_brain_slice_stored_slices_and_sizes():
    # every stored slice loads, lies in [0, 1], has a zero background and brain inside
    native = {z: dd.brain_slice(z, size=192) for z in dd.BRAIN_SLICES_MM}
    for img in native.values():
        assert img.shape == (192, 192)
        assert img.min() == 0.0
        assert 0.8 < img.max() <= 1.0
        assert img[0, 0] == 0.0
        assert img[96, 96] > 0.0
        # 192 is the stored 1 mm square: values are the template's codes k / 255
        assert np.allclose(img * 255, np.round(img * 255))
    # the slices differ from each other
    assert not np.allclose(native[8], native[18])
    small = dd.brain_slice(18, size=64)
    assert small.shape == (64, 64)
    assert small.min() >= 0.0
    assert small.max() <= 1.0
    # anti-aliased resizing keeps the mean intensity
    assert abs(small.mean() - native[18].mean()) < 0.01


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"z_mm": 5}, "z_mm must be one of"), ({"size": 4}, "size")],
)
def test_brain_slice_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dd.brain_slice(**kwargs)


def _small_acquisition(size=32, coils=4, snr_db=None):
    img = np.zeros((size, size))
    img[8:24, 10:22] = 1.0
    img[12:20, 14:18] = 0.5
    return img, dd.simulate_multicoil(img, coils=coils, snr_db=snr_db, seed=0)


def test_espirit_maps_recover_the_sensitivities_up_to_phase():
    img, sim = _small_acquisition(size=48, coils=4)
    mask = dd.cartesian_mask(48, acceleration=2, center_fraction=0.25, seed=0)
    maps = dd.espirit_maps(sim["kspace"], mask, calib_width=12, kernel_width=4)
    assert maps.shape == (4, 48, 48)
    assert maps.dtype == np.complex64
    # inside the object the estimated maps span the true ones: |<S_est, S>| ~ 1
    inner = np.abs(np.sum(np.conj(maps) * sim["sensitivities"], axis=0))
    assert np.median(inner[img > 0]) > 0.95


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"calib_width": 20}, "wider than the fully sampled centre"),
        ({"calib_width": 8, "kernel_width": 8}, "kernel_width must be below"),
        ({"calib_width": 8, "crop": 1.0}, "crop must lie"),
        # a kernel too large for the region: no map survives the crop anywhere
        ({"calib_width": 8, "kernel_width": 7}, "ESPIRiT kept no map at any pixel"),
    ],
)
def test_espirit_maps_bad_input(kwargs, match):
    _, sim = _small_acquisition()
    mask = dd.cartesian_mask(32, acceleration=2, center_fraction=0.25, seed=0)
    with pytest.raises(ValueError, match=match):
        dd.espirit_maps(sim["kspace"], mask, **kwargs)


@pytest.mark.parametrize("method", ["sense", "l1-wavelet", "tv"])
def test_sigpy_reconstruction_beats_zero_filling_and_is_scale_free(method):
    img, sim = _small_acquisition(snr_db=30)
    mask = dd.cartesian_mask(32, acceleration=3, center_fraction=0.2, seed=2)
    zf = dd.rss(dd.ifft2c(torch.as_tensor(sim["kspace"] * mask))).numpy()
    x = dd.sigpy_reconstruction(
        method, sim["kspace"], mask, sim["sensitivities"], lamda=1e-3
    )
    assert x.shape == (32, 32)
    assert x.dtype == np.complex64
    assert dd.mri_metrics(img, np.abs(x))["psnr"] > dd.mri_metrics(img, zf)["psnr"] + 1
    # the data are normalised first: scaling the k-space scales the result
    x10 = dd.sigpy_reconstruction(
        method, 10 * sim["kspace"], mask, sim["sensitivities"], lamda=1e-3
    )
    # (float32 iterative solvers: equal to 1% of the peak)
    np.testing.assert_allclose(np.abs(x10) / 10, np.abs(x), atol=0.01 * np.abs(x).max())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "cg"}, "method must be one of"),
        ({"lamda": -1.0}, "lamda"),
        ({"sensitivities": np.ones((3, 32, 32), np.complex64)}, "sensitivities"),
        ({"mask": np.ones(31, bool)}, "mask must be a boolean vector"),
        ({"kspace": np.ones((4, 32, 32))}, "kspace must be a complex array"),
    ],
)
def test_sigpy_reconstruction_bad_input(kwargs, match):
    _, sim = _small_acquisition()
    args = {
        "method": "sense",
        "kspace": sim["kspace"],
        "mask": dd.cartesian_mask(32, acceleration=2, center_fraction=0.25),
        "sensitivities": sim["sensitivities"],
        "lamda": 0.0,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        dd.sigpy_reconstruction(
            args.pop("method"),
            args.pop("kspace"),
            args.pop("mask"),
            args.pop("sensitivities"),
            **args,
        )


@pytest.mark.parametrize("with_maps", [True, False])
def test_fit_mri_decoder_both_variants(with_maps):
    img, sim = _small_acquisition()
    mask = dd.cartesian_mask(32, acceleration=2, center_fraction=0.25, seed=0)
    res = dd.fit_mri_decoder(
        sim["kspace"],
        mask,
        sensitivities=sim["sensitivities"] if with_maps else None,
        target=img,
        channels=16,
        depth=2,
        steps=60,
        record_every=5,
        device="cpu",
    )
    assert res.image.shape == (32, 32)
    assert res.oracle_image is not None
    assert res.loss[-1] < 0.2 * res.loss[0]
    assert res.error is not None
    assert res.error.shape == res.iterations.shape
    assert res.error.min() < 0.6 * res.error[0]
    # the oracle iterate is the recorded one closest to the target
    assert res.oracle_iteration == int(res.iterations[np.argmin(res.error)])
    oracle_err = np.linalg.norm(res.oracle_image - img) / np.linalg.norm(img)
    assert oracle_err == pytest.approx(res.error.min(), rel=1e-5)
    # the reconstruction is in the data's units: the scale is undone
    assert 0.5 < res.image.max() < 2.0
    assert res.parameters > 0
    assert res.scale > 0


def test_fit_mri_decoder_bad_input():
    img, sim = _small_acquisition()
    mask = dd.cartesian_mask(32, acceleration=2, center_fraction=0.25, seed=0)
    with pytest.raises(ValueError, match="target must be"):
        dd.fit_mri_decoder(
            sim["kspace"], mask, target=img[:16], steps=2, channels=4, depth=2
        )
    with pytest.raises(ValueError, match="sensitivities"):
        dd.fit_mri_decoder(
            sim["kspace"],
            mask,
            sensitivities=sim["sensitivities"][:2],
            steps=2,
            channels=4,
            depth=2,
        )


def test_complex_mri_reconstruction_first_does_not_break_real_cs():
    # SigPy's soft threshold is a Numba ufunc: if its complex loop were compiled first,
    # real inputs would be cast to it (chapter 9 before chapter 8 in one process).
    # A fresh process, so that no earlier test has compiled the real loop already.
    import subprocess
    import sys

    code = """
import numpy as np, dd_lib as dd
sim = dd.simulate_multicoil(np.ones((16, 16)), coils=2, seed=0)
mask = dd.cartesian_mask(16, acceleration=2, center_fraction=0.25, seed=0)
dd.sigpy_reconstruction("tv", sim["kspace"], mask, sim["sensitivities"], lamda=1e-3)
x = np.zeros((16, 16)); x[4:12, 6:14] = 0.8
A = dd.GaussianMeasurement(128, (1, 16, 16), seed=0, device="cpu")
y = A(dd.to_tensor(x, device="cpu"))
for method in ("l1-wavelet", "TV"):
    out = dd.cs_reconstruct(method, A, y)
    assert out.dtype.kind == "f", out.dtype
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")
    # the warm-up itself must not warn (a notebook's stderr fails the book build)
    assert "Warning" not in done.stderr, done.stderr[-2000:]
