"""Unit tests of the experiment functions of chapters 4 and 5 (tiny sizes, fast)."""

import numpy as np
import pytest
import torch

import dd_lib as dd

N = 16


@pytest.fixture
def kernel():
    return dd.gaussian_kernel(1.5, N)


def test_jacobian_change_matches_dense_jacobians(kernel):
    rng = np.random.default_rng(0)
    k = 6
    G = dd.TwoLayerGenerator(kernel, N, k, seed=1, device="cpu")
    C0 = G.C.detach().numpy().copy()
    C = C0 + 0.3 * rng.standard_normal(C0.shape)
    dJ = G.jacobian(torch.as_tensor(C)) - G.jacobian(torch.as_tensor(C0))
    u_norm = np.linalg.norm(dd.circulant(kernel, N), 2)
    d = dd.jacobian_change(kernel, N, C0, C)
    assert d["change"] == pytest.approx(
        np.linalg.norm(dJ.numpy(), 2) / u_norm, rel=1e-6
    )
    # step 1 of the proof of Lemma 7 is a deterministic inequality
    assert d["change"] <= d["step1_bound"] + 1e-12
    assert 0 < d["flip_fraction"] <= 1


def test_jacobian_change_rejects_bad_shapes(kernel):
    with pytest.raises(ValueError, match="shape"):
        dd.jacobian_change(kernel, N, np.zeros((N, 4)), np.zeros((N, 5)))


def test_linearisation_run_follows_linear_model_and_theorem4(kernel):
    y = dd.trig_basis(N)[:, 1]
    run = dd.linearisation_run(
        kernel,
        N,
        512,
        y,
        eta=dd.conv_step_size(kernel, N),
        omega=0.25,
        steps=30,
        record_every=10,
        theorem4=True,
        device="cpu",
    )
    assert run.fit.steps.tolist() == [0, 10, 20, 30]
    assert run.prediction.shape == (4, N)
    assert run.deviation[0] < 1e-12
    assert run.deviation.max() < 0.05
    t = run.terms
    assert t["measured"] <= t["rhs"]
    assert t["beta"] == pytest.approx(np.sqrt(1 / dd.conv_step_size(kernel, N)))
    assert t["alpha"] == pytest.approx(dd.dual_kernel(kernel, N).min())
    assert t["eps"] == pytest.approx(t["change"] * t["beta"])


def test_linearisation_sweep_table(kernel):
    targets = {"a": dd.trig_basis(N)[:, 1], "b": dd.trig_basis(N)[:, 5]}
    tab = dd.linearisation_sweep(
        kernel,
        N,
        [4, 8],
        targets,
        eta=dd.conv_step_size(kernel, N),
        omega=0.25,
        steps=5,
        seeds=[0, 1],
        device="cpu",
    )
    assert len(tab["k"]) == 2 * 2 * 2
    assert {len(v) for v in tab.values()} == {8}
    assert tab["target"].tolist()[:4] == ["a", "a", "b", "b"]
    assert np.all(tab["change"] <= tab["step1_bound"] + 1e-12)
    with pytest.raises(ValueError, match="non-empty"):
        dd.linearisation_sweep(kernel, N, [], targets, eta=0.1, omega=0.25, steps=5)


def test_structure_vs_noise_distances(kernel):
    rng = np.random.default_rng(1)
    z = rng.standard_normal(N)
    out = dd.structure_vs_noise(
        kernel,
        N,
        64,
        {"noise": z / np.linalg.norm(z)},
        eta=dd.conv_step_size(kernel, N),
        omega=0.25,
        steps=40,
        record_every=10,
        device="cpu",
    )["noise"]
    assert out["output"].shape == (5, N)
    # Theorem 5's distance grows with tau towards the complete-fit distance
    assert np.all(np.diff(out["distance_linear"]) >= -1e-12)
    assert out["distance_linear"][-1] <= out["distance_complete"][0] + 1e-12
    assert out["mse"][-1] < out["mse"][0]
    with pytest.raises(ValueError, match="targets"):
        dd.structure_vs_noise(kernel, N, 8, {}, eta=0.1, omega=0.25, steps=5)


def test_denoising_run_and_grid(kernel):
    eta = dd.conv_step_size(kernel, N)
    rng = np.random.default_rng(2)
    x = dd.trig_basis(N)[:, 0]
    z = 0.2 / np.sqrt(N) * rng.standard_normal(N)
    run = dd.denoising_run(
        kernel, N, 64, x, z, 1, eta=eta, omega=0.01, noise_level=0.2, device="cpu"
    )
    assert len(run["err"]) == len(run["err_linear"]) == len(run["bound"])
    assert 0 <= run["t_best"] < len(run["err"])
    assert run["err"][run["t_best"]] == run["err"].min()
    with pytest.raises(ValueError, match="length"):
        dd.denoising_run(kernel, N, 64, x[:-1], z, 1, eta=eta, omega=0.01)
    tab, curves = dd.denoising_grid(
        kernel, N, 64, [1, 3], [0.1], eta=eta, omega=0.01, device="cpu"
    )
    assert tab["p"].tolist() == [1, 3]
    assert set(curves) == {(1, 0.1), (3, 0.1)}
    # the linear model obeys its high-probability bound (delta = 1e-3 per row)
    assert np.all(tab["e_lin_b"] <= tab["linear_tail"])
    with pytest.raises(ValueError, match="non-empty"):
        dd.denoising_grid(kernel, N, 64, [], [0.1], eta=eta, omega=0.01)


def test_noise_term_tail_holds_with_its_probability():
    rng = np.random.default_rng(3)
    n = 64
    sigma = np.sqrt(0.5 * 0.9 ** np.arange(n))
    eta, tau, vs, delta = 1.0, 7, 0.3, 0.05
    q = dd.gd_residual_factor(sigma, eta, tau)
    z = vs / np.sqrt(n) * rng.standard_normal((4000, n))
    term = np.linalg.norm(
        (1 - q) * z, axis=1
    )  # basis-free: W^T z is again N(0, vs^2/n I)
    bound = dd.noise_term_tail(sigma, eta, tau, vs, delta)
    assert np.mean(term > bound) <= delta
    assert bound > np.sqrt(np.mean(term**2))  # above the RMS
    with pytest.raises(ValueError, match="delta"):
        dd.noise_term_tail(sigma, eta, tau, vs, 1.5)


def test_theorem1_linear_trials_matches_direct_computation():
    n, p = 32, 3
    sigma = np.sqrt(np.r_[0.5 * np.ones(p), 0.005 * 0.8 ** np.arange(n - p)])
    tab = dd.theorem1_linear_trials(sigma, p, 1.0, 0.1, 50, seed=0)
    tau = int(np.floor(dd.early_stopping_time(sigma, p, 1.0)))
    assert np.all(tab["tau"] == tau)
    assert tab["first"][0] == pytest.approx(0.5**tau)
    # triangle inequality of the proof, draw by draw
    assert np.all(tab["err"] <= tab["signal_term"] + tab["noise_term"] + 1e-12)
    with pytest.raises(ValueError, match="p must"):
        dd.theorem1_linear_trials(sigma, n, 1.0, 0.1, 5)
    with pytest.raises(ValueError, match="draws"):
        dd.theorem1_linear_trials(sigma, p, 1.0, 0.1, 0)


def test_sketching_trials_agrees_with_min_norm_and_bound():
    n = 24
    W = dd.trig_basis(n)[:, dd.frequency_order(n)]
    s = np.sqrt(0.8 ** np.arange(1, n + 1))

    def signal(m, rng):
        x = W[:, : m // 3] @ rng.standard_normal(m // 3)
        return x / np.linalg.norm(x)

    tab = dd.sketching_trials(
        s, W, signal, [12, 15], 4, seed=5, family="eq. (8)", label="g"
    )
    assert tab["m"].tolist() == [12] * 4 + [15] * 4
    assert set(tab["family"]) == {"eq. (8)"}
    # the deterministic step of the proof holds in every draw
    assert np.all(tab["err2"] <= tab["first"] * tab["range_err2"] * (1 + 1e-9) + 1e-24)
    assert np.allclose(tab["bound"], tab["first"] * tab["tail"])
    # reproduce one draw by hand: same generator, same order of draws
    rng = np.random.default_rng(5)
    x = signal(12, rng)
    A = rng.standard_normal((12, n)) / np.sqrt(12)
    J = W * s
    err2 = np.sum((J @ dd.min_norm_solution(A, J, A @ x) - x) ** 2)
    assert tab["err2"][0] == pytest.approx(err2)


def test_sketching_trials_rejects_bad_input():
    n = 8
    W = dd.trig_basis(n)
    s = np.ones(n)
    with pytest.raises(ValueError, match="ms"):
        dd.sketching_trials(s, W, W[:, 0], [n + 1], 1)
    with pytest.raises(ValueError, match="positive"):
        dd.sketching_trials(np.r_[s[:-1], 0.0], W, W[:, 0], [4], 1)
    with pytest.raises(ValueError, match="length"):
        dd.sketching_trials(s, W, np.ones(n - 1), [4], 1)


def test_stack_tables():
    a = {"m": np.array([1]), "x": np.array([0.5])}
    b = {"m": np.array([2]), "x": np.array([1.5])}
    assert dd.stack_tables(a, b)["x"].tolist() == [0.5, 1.5]
    with pytest.raises(ValueError, match="same columns"):
        dd.stack_tables(a, {"m": np.array([2])})
    with pytest.raises(ValueError, match="at least one"):
        dd.stack_tables()
