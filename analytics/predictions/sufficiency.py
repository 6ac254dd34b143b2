"""Data-sufficiency gates: below these minimums a model refuses to train and says what
is missing, instead of fitting noise that a page would then present as a forecast."""

from __future__ import annotations

from dataclasses import dataclass


class InsufficientData(ValueError):
    """The data is too thin to train a model; the message lists every shortfall."""


@dataclass(frozen=True)
class ChurnMinimums:
    """The least the churn model needs: customers in the training window, churners and
    retained customers among them (both outcomes must be seen to be told apart), and
    days of history before the training cutoff (so features describe real behaviour)."""

    customers: int = 200
    churned: int = 20
    retained: int = 20
    history_days: int = 30


def check_churn_data(*, customers: int, churned: int, history_days: float,
                     horizon_days: int, minimums: ChurnMinimums | None = None) -> None:
    """Raise ``InsufficientData`` naming each shortfall and how to close it."""
    need = minimums or ChurnMinimums()
    retained = customers - churned
    missing = []
    if customers < need.customers:
        missing.append(f"{customers} customers at the training cutoff, need "
                       f"{need.customers}")
    if churned < need.churned:
        missing.append(f"{churned} customers who churned in the training window, need "
                       f"{need.churned}")
    if retained < need.retained:
        missing.append(f"{retained} customers who stayed active in the training window, "
                       f"need {need.retained}")
    if history_days < need.history_days:
        missing.append(f"{history_days:.0f} days of history before the training cutoff, "
                       f"need {need.history_days}")
    if missing:
        raise InsufficientData(
            "churn model not trained: " + "; ".join(missing) + ". Training uses the "
            f"{2 * horizon_days} days before --as-of (two windows of --horizon-days "
            f"{horizon_days}); import more history, pick a later --as-of or a shorter "
            "--horizon-days.")


@dataclass(frozen=True)
class LifetimeMinimums:
    """The least the lifetime-value models need: customers with orders before the
    holdout cutoff, repeat buyers among them (BG/NBD learns dropout and Gamma-Gamma
    order values only from them), and days of order history."""

    buyers: int = 100
    repeat_buyers: int = 30
    history_days: int = 30


def check_lifetime_data(*, buyers: int, repeat_buyers: int, history_days: float,
                        horizon_days: int, minimums: LifetimeMinimums | None = None,
                        order_days: float | None = None) -> None:
    """Raise ``InsufficientData`` naming each shortfall and how to close it;
    ``order_days`` (days from the first order to --as-of), when given, lets the message
    say the longest horizon the history allows."""
    need = minimums or LifetimeMinimums()
    missing = []
    if buyers < need.buyers:
        missing.append(f"{buyers} customers with orders, need {need.buyers}")
    if repeat_buyers < need.repeat_buyers:
        missing.append(f"{repeat_buyers} repeat buyers, need {need.repeat_buyers}")
    if history_days < need.history_days:
        missing.append(f"{history_days:.0f} days of order history before the training "
                       f"cutoff, need {need.history_days}")
    if missing:
        longest = ""
        if order_days is not None:
            # Two horizons before --as-of, with the minimum history before the first.
            most = int((order_days - need.history_days) // 2)
            longest = (f" With the orders imported, --horizon-days can be at most {most}."
                       if 1 <= most < horizon_days else "")
        raise InsufficientData(
            "lifetime value model not trained: " + "; ".join(missing) + ". Training uses "
            f"the {2 * horizon_days} days before --as-of; import more order history, pick "
            "a later --as-of or a shorter --horizon-days." + longest)


@dataclass(frozen=True)
class EngagementMinimums:
    """The least an engagement model needs in its training window: sends (machine-only
    opens left out) and recipients who engaged, so both outcomes are seen often."""

    sends: int = 1000
    engaged_recipients: int = 50


def check_engagement_data(*, target: str, sends: int, engaged_recipients: int,
                          horizon_days: int, minimums: EngagementMinimums | None = None
                          ) -> None:
    """Raise ``InsufficientData`` naming each shortfall and how to close it."""
    need = minimums or EngagementMinimums()
    missing = []
    if sends < need.sends:
        missing.append(f"{sends} sends in the training window, need {need.sends}")
    if engaged_recipients < need.engaged_recipients:
        missing.append(f"{engaged_recipients} recipients with a {target} in the training "
                       f"window, need {need.engaged_recipients}")
    if missing:
        raise InsufficientData(
            f"{target} model not trained: " + "; ".join(missing) + ". Training uses the "
            f"{2 * horizon_days} days of sends before --as-of; import more sends and "
            "events, pick a later --as-of or a longer --horizon-days.")
