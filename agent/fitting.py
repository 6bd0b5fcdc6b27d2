"""Fitting the offline brain's regressions (scikit-learn) so that deciding needs numpy only,
and the grouped folds that keep a clinic's own replies out of what is measured on it."""

import numpy as np

from agent.intent import Linear

SEED = 7


def fit_linear(x: np.ndarray, y: list[str], c: float, *, scale: bool = True) -> Linear:
    """Fit (standardised first when `scale`) and fold the scaling into the weights (deciding
    needs numpy only)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    mean, std, scaled = 0.0, 1.0, x
    if scale:
        scaler = StandardScaler().fit(x)
        mean, std, scaled = scaler.mean_, scaler.scale_, scaler.transform(x)
    fit = LogisticRegression(C=c, max_iter=5000, class_weight="balanced", random_state=SEED)
    fit.fit(scaled, y)
    coef = fit.coef_ / std
    bias = fit.intercept_ - (coef * mean).sum(axis=1)
    return Linear(
        coef.astype(np.float32), bias.astype(np.float32), tuple(str(c) for c in fit.classes_)
    )


def out_of_fold(y, groups, fit_fold) -> tuple[np.ndarray, tuple[str, ...]]:
    """Logits of each example from a fit that never saw its clinic. `fit_fold(held)` fits on
    the examples not `held` (a mask) and returns that fit and the held examples' features."""
    classes = tuple(sorted(set(y)))
    logits = np.zeros((len(y), len(classes) if len(classes) > 2 else 1))
    for clinic in sorted(set(groups)):
        held = np.array([g == clinic for g in groups])
        part, features = fit_fold(held)
        raw = features @ part.coef.T + part.bias
        if part.classes != classes:  # a class missing from the other clinics
            full = np.full((held.sum(), logits.shape[1]), -20.0)
            for k, name in enumerate(part.classes):
                full[:, classes.index(name)] = raw[:, k]
            raw = full
        logits[held] = raw
    return logits, classes


def linear_out_of_fold(x, y, groups, c) -> tuple[np.ndarray, tuple[str, ...]]:
    """Out-of-fold logits of a regression on fixed features `x`."""
    return out_of_fold(y, groups, lambda held: (fit_linear(x[~held], kept(y, ~held), c), x[held]))


def kept(values: list, mask: np.ndarray) -> list:
    return [v for v, keep in zip(values, mask, strict=True) if keep]


def fit_temperature(logits: np.ndarray, y: list[str], classes: tuple[str, ...]) -> float:
    """The temperature that makes held-out probabilities honest (least log loss)."""
    target = np.array([classes.index(v) for v in y])
    best, best_loss = 1.0, np.inf
    for t in np.arange(0.3, 5.01, 0.05):
        scaled = logits / t
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        logp = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        loss = -logp[np.arange(len(target)), target].mean()
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best
