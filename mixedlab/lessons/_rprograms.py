"""What R prints for the lessons' code: the R programs, run live or read from stored outputs.

Each lesson from 5 on prints tables in R's layout (summaries, odds ratios, predictions). The
same computations written in R are kept here, one :class:`LessonProgram` per lesson: R code
run once (``setup``) and, per printed block, the R expression whose ``print()`` the lesson
must show line for line. The tests compare the executed lessons' printed lines with these
blocks, from live R when R is there and always from the stored copy
``reference_outputs/lessons/<lesson>.json``, which records the R code and the R and package
versions. Only the generator writes that copy::

    python -m mixedlab.lessons._rprograms            # every lesson (needs R)
    python -m mixedlab.lessons._rprograms 05_binary_outcomes
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mixedlab._resources import shipped_dir

__all__ = ["LessonProgram", "block_matches", "PROGRAMS", "get_program", "stored_path", "read_stored", "run_live",
           "write_stored", "main"]


@dataclass(frozen=True)
class LessonProgram:
    """The R side of one lesson.

    Attributes
    ----------
    lesson : str
        The notebook's stem, e.g. ``"05_binary_outcomes"``.
    setup : str
        R code run once, in a fresh environment, before the blocks are printed.
    blocks : tuple of (name, expression)
        Each block is what ``print(<expression>)`` shows in R; an expression that is itself a
        ``print(...)`` call (to pass ``digits``) is captured as it is.
    packages : tuple of str
        R packages whose versions the stored file records.
    close : tuple of str
        Blocks whose numbers may differ from R's in their last printed digits (glmmTMB
        summaries: glmmTMB's optimiser stops short of the optimum mixedlab reaches); they are
        compared by :func:`block_matches` with the ``glmmTMB`` "printed number" tolerance,
        every other block character for character.
    """

    lesson: str
    setup: str
    blocks: tuple[tuple[str, str], ...]
    packages: tuple[str, ...] = ("lme4",)
    close: tuple[str, ...] = ()

    def code(self) -> dict[str, Any]:
        """The program as plain data (stored beside its output, to detect a stale copy)."""
        return {"setup": self.setup, "blocks": [list(b) for b in self.blocks]}


def _lines_close(ours: list[str], ref: list[str]) -> tuple[bool, str]:
    """Are two printed blocks the same words and layout with numbers within tolerance?"""
    from mixedlab.parity._tolerances import printed_number_within

    worst = ""
    for a, b in zip(ours, ref):
        ta, tb = a.split(), b.split()
        if len(ta) != len(tb):
            return False, f"lesson: {a!r}\n  R:      {b!r}"
        for x, y in zip(ta, tb):
            if x == y:
                continue
            delta, bound, ok = printed_number_within(x, y)
            if not ok:
                return False, f"{x} vs R's {y} (|Δ| {delta:.3g} > {bound:.3g}) in\n  lesson: {a!r}\n  R:      {b!r}"
            worst = worst or f"{x} vs R's {y}"
    return len(ours) == len(ref), worst


def block_matches(lines: list[str], expected: list[str], close: bool = False) -> tuple[bool, str]:
    """Does the lesson's printed output ``lines`` contain R's block ``expected``?

    Exactly (consecutive lines, trailing spaces included), or with ``close`` the same lines
    with each number within the ``glmmTMB`` "printed number" tolerance of R's (see
    :func:`mixedlab.parity._tolerances.printed_number_within`). Returns ``(found, detail)``:
    for a close match the first differing number, for a miss why the nearest candidate fails.
    """
    n = len(expected)
    for i in range(len(lines) - n + 1):
        if lines[i:i + n] == expected:
            return True, "exact"
    if not close:
        return False, ""
    reasons = []
    for i in range(len(lines) - n + 1):
        if lines[i].split() != expected[0].split():
            continue
        ok, detail = _lines_close(lines[i:i + n], expected)
        if ok:
            return True, detail or "exact"
        reasons.append(detail)
    return False, (reasons[0] if reasons else "")


def _lesson05() -> LessonProgram:
    from mixedlab.datasets import pass_fail_r_code

    setup = "suppressMessages(library(lme4))\n" + pass_fail_r_code() + r"""
m_pass <- glmer(pass ~ hours + (1 | school), data = df_pass, family = binomial)
b <- fixef(m_pass)
s <- attr(VarCorr(m_pass)$school, "stddev")[[1]]
gh <- GHrule(25)
pop_avg <- function(h) sapply(h, function(x) sum(gh[, "w"] * plogis(b[[1]] + b[[2]] * x + s * gh[, "z"])))
new_students <- data.frame(hours = c(0, 2, 4, 6, 8, 10))
predictions <- data.frame(
  hours = new_students$hours,
  typical_school = predict(m_pass, newdata = new_students, re.form = NA, type = "response"),
  population_average = pop_avg(new_students$hours)
)
slope_pa <- qlogis(pop_avg(6)) - qlogis(pop_avg(5))
slope_approx <- b[["hours"]] / sqrt(1 + (16 * sqrt(3) / (15 * pi))^2 * s^2)
effects <- data.frame(
  one_more_hour = c("within a school", "population average", "approximation"),
  log_odds = c(b[["hours"]], slope_pa, slope_approx),
  odds_ratio = exp(c(b[["hours"]], slope_pa, slope_approx))
)
re <- ranef(m_pass)$school
extremes <- data.frame(school = rownames(re)[c(which.min(re[, 1]), which.max(re[, 1]))], hours = 5)
extremes$probability <- predict(m_pass, newdata = extremes, type = "response")
m_cbpp <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
periods <- data.frame(period = factor(1:4))
periods$probability <- predict(m_cbpp, newdata = periods, re.form = NA, type = "response")
"""
    blocks = (
        ("pass_head", "head(df_pass)"),
        ("pass_summary", "summary(m_pass)"),
        ("pass_odds_ratios", "exp(fixef(m_pass))"),
        ("pass_wald", 'print(exp(confint(m_pass, parm = "beta_", method = "Wald")), digits = 4)'),
        ("pass_predictions", "predictions"),
        ("pass_effects", "effects"),
        ("pass_extremes", "extremes"),
        ("cbpp_head", "head(cbpp)"),
        ("cbpp_summary", "summary(m_cbpp)"),
        ("cbpp_odds_ratios", "exp(fixef(m_cbpp))"),
        ("cbpp_periods", "periods"),
    )
    return LessonProgram("05_binary_outcomes", setup, blocks)


def _lesson07() -> LessonProgram:
    setup = r"""
suppressMessages(library(glmmTMB))
sal <- Salamanders
f <- count ~ spp + mined + (1 | site)
m_pois <- glmmTMB(f, data = sal, family = poisson)
m_nb2 <- glmmTMB(f, data = sal, family = nbinom2)
m_nb1 <- glmmTMB(f, data = sal, family = nbinom1)
pearson_ratio <- function(m) sum(residuals(m, type = "pearson")^2) / df.residual(m)
dispersion <- c(poisson = pearson_ratio(m_pois), nbinom2 = pearson_ratio(m_nb2))
m_zip <- glmmTMB(f, ziformula = ~ spp + mined, data = sal, family = poisson)
m_zinb <- glmmTMB(f, ziformula = ~ spp + mined, data = sal, family = nbinom2)
m_hurdle <- glmmTMB(f, ziformula = ~ spp + mined, data = sal, family = truncated_nbinom2)
p_zero <- function(m) {
  mu <- predict(m, type = "conditional")
  pz <- if (identical(deparse(m$modelInfo$allForm$ziformula), "~0")) 0 else predict(m, type = "zprob")
  f0 <- switch(family(m)$family,
               poisson = dpois(0, mu),
               nbinom2 = dnbinom(0, mu = mu, size = sigma(m)),
               nbinom1 = dnbinom(0, mu = mu, size = mu / sigma(m)),
               truncated_nbinom2 = 0)
  pz + (1 - pz) * f0
}
models <- list(poisson = m_pois, nbinom1 = m_nb1, nbinom2 = m_nb2, zip = m_zip, zinb = m_zinb,
               hurdle = m_hurdle)
zeros <- data.frame(model = c("observed", names(models)),
                    zeros = c(sum(sal$count == 0), unname(sapply(models, function(m) sum(p_zero(m))))))
aic <- AIC(m_pois, m_nb1, m_nb2, m_zip, m_zinb, m_hurdle)
aic$delta_AIC <- aic$AIC - min(aic$AIC)
sites <- data.frame(spp = factor(c("GP", "GP", "EC-L", "EC-L"), levels = levels(sal$spp)),
                    mined = factor(c("yes", "no", "yes", "no"), levels = levels(sal$mined)),
                    site = NA)
claims <- data.frame(sites[, 1:2],
                     zinb_zprob = predict(m_zinb, newdata = sites, re.form = NA, type = "zprob"),
                     zinb_mean = predict(m_zinb, newdata = sites, re.form = NA, type = "response"),
                     hurdle_zprob = predict(m_hurdle, newdata = sites, re.form = NA, type = "zprob"),
                     hurdle_mean = predict(m_hurdle, newdata = sites, re.form = NA, type = "response"))
"""
    blocks = (
        ("sal_head", "head(sal)"),
        ("pois_summary", "summary(m_pois)"),
        ("dispersion", "print(dispersion, digits = 4)"),
        ("nb2_summary", "summary(m_nb2)"),
        ("nb1_summary", "summary(m_nb1)"),
        ("zeros", "print(zeros, digits = 4)"),
        ("zip_summary", "summary(m_zip)"),
        ("zinb_summary", "summary(m_zinb)"),
        ("hurdle_summary", "summary(m_hurdle)"),
        ("aic", "aic"),
        ("claims", "print(claims, digits = 3)"),
    )
    summaries = tuple(name for name, _ in blocks if name.endswith("_summary"))
    return LessonProgram("07_zero_inflation", setup, blocks, packages=("glmmTMB", "TMB"), close=summaries)


def _lesson08() -> LessonProgram:
    from mixedlab.datasets import on_task_r_code

    setup = "suppressMessages(library(glmmTMB))\n" + on_task_r_code() + r"""
m_beta <- glmmTMB(on_task ~ practice + setting + (1 | class), data = df_task, family = beta_family())
m_disp <- glmmTMB(on_task ~ practice + setting + (1 | class), dispformula = ~ setting,
                  data = df_task, family = beta_family())
grid <- data.frame(practice = c(0, 5, 10, 0, 5, 10),
                   setting = factor(rep(c("in_person", "online"), each = 3), levels = levels(df_task$setting)))
new_lessons <- data.frame(grid, class = NA)
grid$mean <- predict(m_disp, newdata = new_lessons, re.form = NA, type = "response")
grid$phi <- predict(m_disp, newdata = new_lessons, re.form = NA, type = "disp")
grid$sd <- sqrt(grid$mean * (1 - grid$mean) / (1 + grid$phi))
"""
    blocks = (
        ("task_head", "head(df_task)"),
        ("beta_summary", "summary(m_beta)"),
        ("disp_summary", "summary(m_disp)"),
        ("anova", "anova(m_beta, m_disp)"),
        ("odds_ratios", "print(exp(fixef(m_disp)$cond), digits = 4)"),
        ("precision", "print(exp(fixef(m_disp)$disp), digits = 4)"),
        ("grid", "print(grid, digits = 3)"),
    )
    return LessonProgram("08_beta_models", setup, blocks, packages=("glmmTMB", "TMB"),
                         close=("beta_summary", "disp_summary", "anova"))


def _lesson09() -> LessonProgram:
    from mixedlab.datasets._tutorial_r import tutorial_r_code

    setup = ("suppressMessages(library(lmerTest))\n" + tutorial_r_code("nested")
             + tutorial_r_code("crossed") + r"""
m_sleep <- lmer(Reaction ~ Days + (1 + Days | Subject), data = sleepstudy)
m_nested <- lmer(y ~ treatment + (1 + treatment | school), data = df_nested)
m_crossed <- lmer(score ~ treatment + (1 + treatment | rater) + (1 | student), data = df_crossed)
sleep_short <- subset(sleepstudy, !(Subject %in% c("308", "309", "310", "330") & Days > 4))
m_short <- lmer(Reaction ~ Days + (1 + Days | Subject), data = sleep_short)
ci_profile <- suppressMessages(confint(m_sleep, method = "profile"))
ci_wald <- confint(m_sleep, method = "Wald")
""")
    blocks = (
        ("sleep_summary", "summary(m_sleep)"),
        ("sleep_kr", 'coef(summary(m_sleep, ddf = "Kenward-Roger"))'),
        ("short_satterthwaite", "coef(summary(m_short))"),
        ("short_kr", 'coef(summary(m_short, ddf = "Kenward-Roger"))'),
        ("nested_satterthwaite", "coef(summary(m_nested))"),
        ("nested_kr", 'coef(summary(m_nested, ddf = "Kenward-Roger"))'),
        ("nested_anova", "anova(m_nested)"),
        ("nested_anova_kr", 'anova(m_nested, ddf = "Kenward-Roger")'),
        ("crossed_anova", "anova(m_crossed)"),
        ("crossed_ranova", "ranova(m_crossed)"),
        ("nested_drop1", "drop1(m_nested)"),
        ("sleep_profile", "print(ci_profile, digits = 3)"),
        ("sleep_wald", "print(ci_wald, digits = 5)"),
    )
    return LessonProgram("09_inference", setup, blocks, packages=("lme4", "lmerTest", "pbkrtest"))


_BUILDERS = {"05_binary_outcomes": _lesson05, "07_zero_inflation": _lesson07,
             "08_beta_models": _lesson08,
             "09_inference": _lesson09}


def get_program(lesson: str) -> LessonProgram:
    """The R program of ``lesson`` (a notebook stem such as ``"05_binary_outcomes"``)."""
    try:
        return _BUILDERS[lesson]()
    except KeyError:
        raise KeyError(f"no R program for lesson {lesson!r}; lessons with one: {', '.join(_BUILDERS)}") from None


#: Lessons that have an R program.
PROGRAMS: tuple[str, ...] = tuple(_BUILDERS)


def stored_path(lesson: str) -> Path:
    """``reference_outputs/lessons/<lesson>.json``."""
    return shipped_dir("reference_outputs") / "lessons" / f"{lesson}.json"


def read_stored(lesson: str) -> dict[str, Any]:
    """The stored R output of ``lesson``: ``{"generated": ..., "code": ..., "blocks": {name: [lines]}}``."""
    path = stored_path(lesson)
    if not path.is_file():
        raise FileNotFoundError(f"no stored R output for lesson {lesson} at {path}; write it with "
                                f"python -m mixedlab.lessons._rprograms {lesson}")
    return json.loads(path.read_text(encoding="utf-8"))


def run_live(program: LessonProgram) -> dict[str, list[str]]:
    """Run ``program`` in R now (a fresh environment); return each block's printed lines.

    The R session is shared with every other caller in the process, so packages the program
    attaches (lesson 09's ``library(lmerTest)``, whose ``lmer`` masks lme4's) are detached again
    afterwards: later callers must still get lme4's ``lmer`` and its ``lmerMod`` print.
    """
    from mixedlab.parity import _rbridge

    ro, _ = _rbridge._session()
    attached_before = set(ro.r("search()"))
    env = ro.r("new.env(parent = globalenv())")
    try:
        ro.r["eval"](ro.r["parse"](text=program.setup), envir=env)
        out: dict[str, list[str]] = {}
        for name, expr in program.blocks:
            text = f"capture.output({expr})" if expr.startswith("print(") else f"capture.output(print({expr}))"
            out[name] = [str(line) for line in ro.r["eval"](ro.r["parse"](text=text), envir=env)]
    finally:
        for entry in ro.r("search()"):
            if entry not in attached_before:
                ro.r["detach"](entry, character_only=True)
    return out


def _versions(packages: tuple[str, ...]) -> dict[str, str]:
    from mixedlab.parity import _rbridge

    ro, _ = _rbridge._session()
    out = {"R": str(ro.r("R.version.string")[0])}
    for pkg in packages:
        out[pkg] = str(ro.r(f'as.character(packageVersion("{pkg}"))')[0])
    return out


def write_stored(lesson: str) -> Path:
    """Run the lesson's R program now and write ``reference_outputs/lessons/<lesson>.json``."""
    program = get_program(lesson)
    blocks = run_live(program)
    record = {
        "generated": {"by": "python -m mixedlab.lessons._rprograms",
                      "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                      "versions": _versions(program.packages)},
        "code": program.code(),
        "blocks": blocks,
    }
    path = stored_path(lesson)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Write the stored R output of the named lessons (all with a program by default)."""
    names = list(sys.argv[1:] if argv is None else argv) or list(PROGRAMS)
    for name in names:
        print(f"wrote {write_stored(name)}")
    return 0


if __name__ == "__main__":  # pragma: no cover - the generator command
    raise SystemExit(main())
