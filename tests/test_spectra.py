"""Tests of dd_lib.spectra: the decay fits recover known rates and reject bad input."""

import numpy as np
import pytest

from dd_lib.spectra import DecayFit, fit_geometric_decay, fit_power_law_decay


@pytest.mark.parametrize("gamma", [0.3, 0.9, 0.999, 1.0, 1.2])
def test_geometric_fit_recovers_exact_rate(gamma):
    values = 3.7 * gamma ** np.arange(40)
    fit = fit_geometric_decay(values, return_details=True)
    assert isinstance(fit, DecayFit)
    assert fit.rate == pytest.approx(gamma, rel=1e-12)
    assert fit.amplitude == pytest.approx(3.7, rel=1e-10)
    assert fit.r_squared == pytest.approx(1.0)
    assert (fit.start, fit.stop) == (0, 40)
    assert fit_geometric_decay(values) == pytest.approx(gamma, rel=1e-12)


def test_geometric_fit_uses_positions_as_given_and_only_the_range():
    # a geometric head and a flat tail: fitting only the head recovers gamma exactly,
    # and the amplitude refers to index 0 even when start > 0
    values = np.r_[0.5 ** np.arange(10), np.full(10, 1e-3)]
    fit = fit_geometric_decay(values, start=2, stop=10, return_details=True)
    assert fit.rate == pytest.approx(0.5, rel=1e-12)
    assert fit.amplitude == pytest.approx(1.0, rel=1e-10)
    # the whole sequence is not geometric: the fitted rate and R^2 show it
    whole = fit_geometric_decay(values, return_details=True)
    assert whole.rate > 0.5
    assert whole.r_squared < 0.95
    # reversing the order turns decay into growth: no hidden sorting
    assert fit_geometric_decay(values[2:10][::-1]) == pytest.approx(2.0, rel=1e-12)


def test_geometric_fit_of_noisy_data_is_close():
    gamma = 0.95
    values = gamma ** np.arange(200) * np.exp(
        0.05 * np.random.default_rng(2024).standard_normal(200)
    )
    fit = fit_geometric_decay(values, return_details=True)
    assert abs(fit.rate - gamma) < 2e-3
    assert 0.95 < fit.r_squared < 1.0


@pytest.mark.parametrize("alpha", [0.5, 2.0, 3.0])
def test_power_law_fit_recovers_exponent(alpha):
    x = np.arange(1, 101, dtype=float)
    values = 5.0 * x ** (-alpha)
    fit = fit_power_law_decay(values, return_details=True)  # default x = 1..N
    assert fit.rate == pytest.approx(alpha, rel=1e-12)
    assert fit.amplitude == pytest.approx(5.0, rel=1e-10)
    assert fit.r_squared == pytest.approx(1.0)
    freq = np.linspace(0.5, 40, 100)
    assert fit_power_law_decay(2 * freq**-alpha, x=freq) == pytest.approx(
        alpha, rel=1e-12
    )


def test_power_law_and_geometric_fits_tell_the_two_apart():
    x = np.arange(1, 151, dtype=float)
    power = x**-2.0
    geometric = 0.97**x
    assert fit_power_law_decay(power, return_details=True).r_squared == pytest.approx(
        1.0
    )
    assert fit_geometric_decay(power, return_details=True).r_squared < 0.9
    assert fit_geometric_decay(
        geometric, return_details=True
    ).r_squared == pytest.approx(1.0)
    assert fit_power_law_decay(geometric, return_details=True).r_squared < 0.9


@pytest.mark.parametrize("fit", [fit_geometric_decay, fit_power_law_decay])
@pytest.mark.parametrize(
    ("values", "kwargs", "match"),
    [
        ([[1.0, 0.5]], {}, "1-dimensional"),
        ([1.0, np.nan, 0.5], {}, "finite"),
        ([1.0, 0.0, 0.5], {}, r"> 0.*values\[1\]"),
        ([1.0, -0.5, 0.25], {}, r"> 0.*values\[1\]"),
        ([1.0], {}, "at least 2 entries"),
        ([1.0, 0.5, 0.25], {"start": 2}, "at least 2 entries"),
        ([1.0, 0.5, 0.25], {"stop": 4}, "at most len"),
        ([1.0, 0.5, 0.25], {"start": -1}, "start must be an integer"),
        ([1.0, 0.5, 0.25], {"start": 0.5}, "start must be an integer"),
        (["a", "b"], {}, "real numbers"),
    ],
)
def test_bad_input_raises_value_error(fit, values, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit(values, **kwargs)


def test_zero_outside_the_fitted_range_is_allowed():
    values = np.array([0.0, 1.0, 0.5, 0.25])
    assert fit_geometric_decay(values, start=1) == pytest.approx(0.5)
    assert fit_power_law_decay(values, start=1) > 0


@pytest.mark.parametrize(
    ("x", "match"),
    [
        ([1.0, 2.0], "shape of values"),
        ([1.0, 0.0, 3.0], r"x must be > 0.*x\[1\]"),
        ([2.0, 2.0, 2.0], "constant"),
        ([1.0, np.inf, 3.0], "finite"),
    ],
)
def test_power_law_bad_abscissae(x, match):
    with pytest.raises(ValueError, match=match):
        fit_power_law_decay([1.0, 0.5, 0.25], x=x)
