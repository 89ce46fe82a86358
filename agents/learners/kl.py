"""The KL penalty against the reference policy, folded into the rewards.

The reference policy is the same model with its adapters disabled (no weight copy). At each
step the rollout core subtracts ``coef * (log pi(a|s) - log pi_ref(a|s))`` from the env's
reward: the per-step estimate of KL(pi || pi_ref) whose expectation over the policy's own
samples is the true KL. The coefficient is fixed, or adapted after every rollout towards a
target KL per step with the proportional controller of Ziegler et al. (2019), as in TRL.
"""

from __future__ import annotations

import math

from textenvs.errors import InputError


class KLController:
    """The KL coefficient: fixed (``target=None``) or adaptive.

    Args:
        coef: the initial coefficient (0 switches the penalty off).
        target: the mean KL per step to steer towards, or None for a fixed coefficient.
        horizon: env steps over which the coefficient may change by about e^0.2.
    """

    def __init__(self, coef: float, target: float | None = None, horizon: int = 10_000) -> None:
        if not (math.isfinite(coef) and coef >= 0):
            raise InputError(f"kl_coef must be a finite number >= 0, got {coef!r}")
        if target is not None and not target > 0:
            raise InputError(f"kl_target must be > 0 (or None for a fixed kl_coef), got {target!r}")
        if horizon < 1:
            raise InputError(f"kl_horizon must be >= 1, got {horizon!r}")
        self.coef, self.target, self.horizon = coef, target, horizon

    def update(self, kl: float, steps: int) -> None:
        """Move the coefficient after a rollout of ``steps`` steps whose mean KL was ``kl``."""
        if self.target is None or self.coef == 0:
            return
        error = min(max(kl / self.target - 1.0, -0.2), 0.2)
        self.coef *= 1.0 + error * steps / self.horizon
