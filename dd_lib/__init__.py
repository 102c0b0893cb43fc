"""dd_lib: the small shared library of the course *Why un-trained convolutional
networks denoise and reconstruct images*.

The linear-algebra routines take and return NumPy float64 arrays; the
generators are PyTorch modules that run on the CPU or a GPU.
"""

from .config import get_device, scale, seed_everything
from .dynamics import (
    TwoLayerFit,
    denoising_error_bound,
    early_stopping_time,
    fit_two_layer_gd,
    linear_residuals,
)
from .generators import TwoLayerGenerator
from .linalg import (
    circulant,
    dual_kernel,
    expected_jacobian_gram,
    frequency_order,
    gaussian_kernel,
    gd_least_squares,
    gd_residual_closed_form,
    relu_gram_factor,
    triangular_kernel,
    trig_basis,
    trig_frequencies,
)
from .metrics import psnr, ssim
from .sketching import geometric_example_bound, min_norm_solution, theorem1_bound
from .plotting import PALETTE, use_course_style
from .spectra import DecayFit, fit_geometric_decay, fit_power_law_decay
from .widgets import live_slider, precomputed_slider

__all__ = [
    "get_device",
    "seed_everything",
    "scale",
    "trig_basis",
    "trig_frequencies",
    "frequency_order",
    "circulant",
    "triangular_kernel",
    "gaussian_kernel",
    "relu_gram_factor",
    "expected_jacobian_gram",
    "dual_kernel",
    "gd_least_squares",
    "gd_residual_closed_form",
    "TwoLayerGenerator",
    "TwoLayerFit",
    "fit_two_layer_gd",
    "linear_residuals",
    "early_stopping_time",
    "denoising_error_bound",
    "min_norm_solution",
    "theorem1_bound",
    "geometric_example_bound",
    "psnr",
    "ssim",
    "DecayFit",
    "fit_geometric_decay",
    "fit_power_law_decay",
    "use_course_style",
    "PALETTE",
    "live_slider",
    "precomputed_slider",
]

__version__ = "0.1.0"
