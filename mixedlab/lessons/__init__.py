"""Executable lessons: helpers the notebooks in ``lessons/`` call, and their runner.

* R's print layouts for small tables (:func:`r_data_frame`, :func:`r_vector`,
  :func:`r_named_vector`, :func:`varcorr_text`) so that the lessons print R's numbers;
* the lessons' plots (:func:`group_effects_plot`, :func:`group_means_plot`,
  :func:`slopes_plot`, :func:`caterpillar_plot`, :func:`fitted_lines_plot`,
  :func:`probability_curves_plot`);
* calculations lme4 has no function for (:func:`population_average`);
* the partial-pooling explorer of lesson 4 (:class:`PartialPoolingExplorer`
  and its parts :func:`simulate`, :func:`estimate`, :func:`shrinkage_svg`);
* the count-model explorer of lesson 10 (:class:`CountsExplorer` and its parts
  :func:`fit_models`, :func:`diagnose`, :func:`aic_table`, :func:`qq_svg`);
* the parity cell (:func:`show_parity`);
* the runner behind ``mixedlab lessons`` (:func:`run_lessons`).

matplotlib, ipywidgets, nbclient and nbconvert (the ``lessons`` extra) are
imported only when a function needs them.
"""

from __future__ import annotations

from mixedlab.lessons._explorer import (
    Estimates,
    ExplorerSettings,
    PartialPoolingExplorer,
    Simulation,
    check_settings,
    estimate,
    shrinkage_svg,
    simulate,
    summary_tables,
)
from mixedlab.lessons._counts_explorer import (
    CountSettings,
    CountsExplorer,
    aic_table,
    diagnose,
    fit_models,
    parameter_table,
    qq_svg,
    simulate_counts_for,
    tests_table,
)
from mixedlab.lessons._parity import show_parity
from mixedlab.lessons._plots import (
    caterpillar_plot,
    fitted_lines_plot,
    group_effects_plot,
    group_means_plot,
    probability_curves_plot,
    slopes_plot,
)
from mixedlab.lessons._glmm import population_average
from mixedlab.lessons._rprint import r_data_frame, r_named_vector, r_structure, r_vector
from mixedlab.lessons._runner import (
    LessonResult,
    LessonsNotFoundError,
    find_lessons_dir,
    lesson_paths,
    parity_ok,
    parity_summary,
    run_lessons,
)

__all__ = [
    "r_data_frame",
    "r_vector",
    "r_named_vector",
    "r_structure",
    "varcorr_text",
    "group_effects_plot",
    "group_means_plot",
    "slopes_plot",
    "caterpillar_plot",
    "fitted_lines_plot",
    "probability_curves_plot",
    "population_average",
    "ExplorerSettings",
    "Simulation",
    "Estimates",
    "simulate",
    "estimate",
    "check_settings",
    "summary_tables",
    "shrinkage_svg",
    "PartialPoolingExplorer",
    "CountSettings",
    "CountsExplorer",
    "simulate_counts_for",
    "fit_models",
    "diagnose",
    "aic_table",
    "tests_table",
    "parameter_table",
    "qq_svg",
    "show_parity",
    "LessonResult",
    "LessonsNotFoundError",
    "find_lessons_dir",
    "lesson_paths",
    "run_lessons",
    "parity_summary",
    "parity_ok",
]


def varcorr_text(fit) -> str:
    """What ``print(VarCorr(m))`` shows in R: the random-effects table (standard deviations, correlations)."""
    from mixedlab.reporting import format_varcorr

    return format_varcorr(fit)
