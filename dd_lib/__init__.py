"""dd_lib: the small shared library of the course *Why un-trained convolutional
networks denoise and reconstruct images*.

One module per object of the papers (see CONTRIBUTING.md, "Library layout"):

* :mod:`dd_lib.trig` -- the trigonometric basis and circulant matrices (chapter 2);
* :mod:`dd_lib.kernels` -- triangular and Gaussian kernels (chapter 2);
* :mod:`dd_lib.dual_kernel` -- the expected Jacobian Gram matrix and the dual kernel
  (chapter 3);
* :mod:`dd_lib.least_squares` -- gradient descent on least squares and its spectral
  filter (chapter 1);
* :mod:`dd_lib.two_layer` -- the two-layer generator and its dynamics (chapter 4);
* :mod:`dd_lib.two_layer_experiments` -- chapter 4's measurement loops, returning
  tables;
* :mod:`dd_lib.sketching` -- sketched least squares, Theorem 1 of the CS paper
  (chapter 5);
* :mod:`dd_lib.deep_decoder`, :mod:`dd_lib.dip` -- the deep decoder and the deep image
  prior (chapter 6);
* :mod:`dd_lib.fitting` -- one fitting engine for every generator (chapter 6 on);
* :mod:`dd_lib.operators` -- forward operators: pixel mask, Gaussian matrix, random
  signs with a subsampled real Fourier transform (chapters 6, 8);
* :mod:`dd_lib.images` -- test images, noise protocols, image/tensor layout (chapter 6);
* :mod:`dd_lib.denoisers` -- classical denoisers through their libraries (chapter 6);
* :mod:`dd_lib.compressive` -- classical compressed-sensing reconstructions
  (min-norm, l1-wavelet, TV, biharmonic) through SigPy and scikit-image (chapter 8);
* :mod:`dd_lib.mri` -- centred orthonormal 2-D FFT, root-sum-of-squares, Cartesian
  masks with fastMRI's semantics, the fastMRI file reader (chapter 9);
* :mod:`dd_lib.spectra` -- geometric and power-law decay fits;
* :mod:`dd_lib.metrics` -- PSNR and SSIM;
* :mod:`dd_lib.widgets`, :mod:`dd_lib.plotting` -- sliders and the figure style;
* :mod:`dd_lib.claims` -- verdicts of a chapter's claims (what checked cells print
  after a fit);
* :mod:`dd_lib.config` -- device, seeds, the book/paper scale and the sizes of each
  chapter.

The linear-algebra routines take and return NumPy float64 arrays; the
generators are PyTorch modules that run on the CPU or a GPU.  The Examples
sections of the docstrings are doctests (``tests/test_doctests.py``); they
assume ``import numpy as np`` and the public names of this package.
"""

__version__ = (
    "0.1.0"  # the one place; pyproject.toml reads it (setuptools dynamic version)
)

# --- configuration, metrics, figures, sliders ---------------------------------
from .architectures import (
    ARCHITECTURES,
    ConvGenerator,
    architecture_parameter_count,
    channels_for_factor,
    fit_architectures,
)
from .claims import claim
from .compressive import (
    CS_ITERATIONS,
    CS_METHODS,
    CS_OPERATORS,
    CS_WEIGHT_GRIDS,
    CS_WEIGHTS,
    MASK_METHODS,
    MASK_WEIGHTS,
    as_sigpy_linop,
    cs_comparison,
    cs_measure,
    cs_reconstruct,
    tune_cs_weight,
)
from .config import SIZES, get_device, scale, seed_everything, sizes

# --- chapter 6: the deep decoder, the deep image prior, fitting, baselines ------
from .deep_decoder import DeepDecoder, deep_decoder_parameter_count
from .denoisers import (
    CLASSICAL_DENOISERS,
    COMPARISON_METHODS,
    SHARED_NOISE_DENOISERS,
    TUNING_IMAGES,
    denoise,
    denoising_comparison,
    tune_strength,
)
from .dip import DeepImagePrior

# --- chapter 3: expected Jacobian and dual kernel; decay fits -----------------
from .dual_kernel import dual_kernel, expected_jacobian_gram, relu_gram_factor
from .fitting import (
    FitJob,
    FitResult,
    bf16_supported,
    discrepancy_stop,
    fit,
    fit_many,
    identity,
)
from .images import TEST_IMAGES, add_noise, test_image, to_image, to_tensor

# --- chapter 7: Jacobians of deep generators, the four architectures of appendix B
from .jacobian import (
    frequency_energy,
    jacobian,
    jacobian_spectrum,
    jacobian_transpose_norms,
    subspace_overlap,
    trig_alignment,
)
from .kernels import gaussian_kernel, triangular_kernel

# --- chapter 1: least squares and its spectral filter -------------------------
from .least_squares import gd_least_squares, gd_residual_closed_form, gd_residual_factor
from .metrics import psnr, ssim
from .mri import (
    BRAIN_SLICES_MM,
    MASK_KINDS,
    SIGPY_METHODS,
    MRIFit,
    MultiCoilFourier,
    brain_slice,
    cartesian_mask,
    center_crop,
    espirit_maps,
    fft2c,
    fit_mri_decoder,
    ifft2c,
    load_fastmri_slice,
    mri_metrics,
    rss,
    sigpy_reconstruction,
    simulate_multicoil,
    smooth_phase,
)
from .operators import GaussianMeasurement, PixelMask, RandomSignsFourier
from .plotting import PALETTE, use_course_style

# --- chapter 5: sketched least squares -----------------------------------------
from .sketching import (
    geometric_example_bound,
    min_norm_solution,
    sketching_trials,
    stack_tables,
    theorem1_bound,
)
from .spectra import DecayFit, fit_geometric_decay, fit_power_law_decay

# --- chapter 2: trigonometric basis, circulants, kernels ----------------------
from .trig import circulant, frequency_order, trig_basis, trig_frequencies

# --- chapter 4: the two-layer generator and its dynamics ----------------------
from .two_layer import (
    TwoLayerCSFit,
    TwoLayerFit,
    TwoLayerGenerator,
    conv_step_size,
    denoising_error_bound,
    early_stopping_time,
    fit_two_layer_cs,
    fit_two_layer_gd,
    linear_residuals,
    linearised_cs_estimate,
)
from .two_layer_experiments import (
    LinearisationRun,
    denoising_grid,
    denoising_run,
    jacobian_change,
    linearisation_run,
    linearisation_sweep,
    noise_term_tail,
    structure_vs_noise,
    theorem1_linear_trials,
)
from .widgets import live_slider, precomputed_slider

__all__ = [
    # configuration, metrics, figures, sliders
    "get_device",
    "seed_everything",
    "scale",
    "sizes",
    "SIZES",
    "claim",
    "psnr",
    "ssim",
    "use_course_style",
    "PALETTE",
    "live_slider",
    "precomputed_slider",
    # chapter 1
    "gd_least_squares",
    "gd_residual_closed_form",
    "gd_residual_factor",
    # chapter 2
    "trig_basis",
    "trig_frequencies",
    "frequency_order",
    "circulant",
    "triangular_kernel",
    "gaussian_kernel",
    # chapter 3
    "relu_gram_factor",
    "expected_jacobian_gram",
    "dual_kernel",
    "DecayFit",
    "fit_geometric_decay",
    "fit_power_law_decay",
    # chapter 4
    "TwoLayerGenerator",
    "TwoLayerFit",
    "conv_step_size",
    "fit_two_layer_gd",
    "linear_residuals",
    "early_stopping_time",
    "denoising_error_bound",
    # chapter 8 (two-layer compressive sensing, in two_layer.py)
    "TwoLayerCSFit",
    "fit_two_layer_cs",
    "linearised_cs_estimate",
    "LinearisationRun",
    "jacobian_change",
    "linearisation_run",
    "linearisation_sweep",
    "structure_vs_noise",
    "denoising_run",
    "denoising_grid",
    "noise_term_tail",
    "theorem1_linear_trials",
    # chapter 5
    "min_norm_solution",
    "theorem1_bound",
    "geometric_example_bound",
    "sketching_trials",
    "stack_tables",
    # chapter 6
    "DeepDecoder",
    "deep_decoder_parameter_count",
    "DeepImagePrior",
    "fit",
    "fit_many",
    "FitJob",
    "FitResult",
    "discrepancy_stop",
    "bf16_supported",
    "identity",
    "PixelMask",
    "GaussianMeasurement",
    "RandomSignsFourier",
    "TEST_IMAGES",
    "test_image",
    "add_noise",
    "to_tensor",
    "to_image",
    "CLASSICAL_DENOISERS",
    "SHARED_NOISE_DENOISERS",
    "TUNING_IMAGES",
    "denoise",
    "tune_strength",
    "COMPARISON_METHODS",
    "denoising_comparison",
    # chapter 8: the classical compressed-sensing baselines
    "CS_METHODS",
    "MASK_METHODS",
    "CS_WEIGHTS",
    "MASK_WEIGHTS",
    "CS_ITERATIONS",
    "CS_WEIGHT_GRIDS",
    "as_sigpy_linop",
    "cs_measure",
    "cs_reconstruct",
    "tune_cs_weight",
    "CS_OPERATORS",
    "cs_comparison",
    # chapter 7
    "jacobian",
    "jacobian_spectrum",
    "frequency_energy",
    "trig_alignment",
    "subspace_overlap",
    "jacobian_transpose_norms",
    "ARCHITECTURES",
    "ConvGenerator",
    "architecture_parameter_count",
    "channels_for_factor",
    "fit_architectures",
    # chapter 9: MRI
    "fft2c",
    "ifft2c",
    "rss",
    "MASK_KINDS",
    "cartesian_mask",
    "load_fastmri_slice",
    "MultiCoilFourier",
    "center_crop",
    "mri_metrics",
    "BRAIN_SLICES_MM",
    "brain_slice",
    "smooth_phase",
    "simulate_multicoil",
    "SIGPY_METHODS",
    "espirit_maps",
    "sigpy_reconstruction",
    "MRIFit",
    "fit_mri_decoder",
]
