"""The corpus fit shared by the inference tests (imported by them)."""

from __future__ import annotations

from mixedlab.parity._inference_corpus import fit_inference_case, get_inference_case, load_inference_data


def fit_case(name: str):
    """``(fit, case, data)``: the inference corpus case ``name`` fitted by mixedlab's lmer."""
    case = get_inference_case(name)
    data, _ = load_inference_data(case)
    return fit_inference_case(case, data), case, data
