"""Fixed vocabularies and the clock of the demo world (so output never depends on today)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl

END = datetime(2026, 11, 1, tzinfo=UTC)
US_PER_SECOND = 1_000_000
US_PER_HOUR = 3600 * US_PER_SECOND
US_PER_DAY = 24 * US_PER_HOUR
END_US = int(END.timestamp()) * US_PER_SECOND
UTC_DATETIME = pl.Datetime("us", "UTC")

# (domain, share of customers, hard-bounce rate, soft-bounce rate, is Apple Mail)
PROVIDERS: tuple[tuple[str, float, float, float, bool], ...] = (
    ("gmail.com", 0.36, 0.004, 0.008, False),
    ("outlook.com", 0.12, 0.006, 0.015, False),
    ("hotmail.com", 0.07, 0.012, 0.020, False),
    ("yahoo.com", 0.10, 0.010, 0.025, False),
    ("icloud.com", 0.14, 0.003, 0.006, True),
    ("me.com", 0.03, 0.003, 0.006, True),
    ("acme-corp.com", 0.06, 0.020, 0.030, False),
    ("northwind.io", 0.06, 0.020, 0.030, False),
    ("globex.net", 0.06, 0.020, 0.030, False),
)

# (country, IANA zone, standard UTC offset in hours, share)
ZONES: tuple[tuple[str, str, int, float], ...] = (
    ("US", "America/New_York", -5, 0.20),
    ("US", "America/Chicago", -6, 0.10),
    ("US", "America/Denver", -7, 0.04),
    ("US", "America/Los_Angeles", -8, 0.12),
    ("CA", "America/Toronto", -5, 0.05),
    ("GB", "Europe/London", 0, 0.12),
    ("DE", "Europe/Berlin", 1, 0.08),
    ("FR", "Europe/Paris", 1, 0.06),
    ("NL", "Europe/Amsterdam", 1, 0.03),
    ("ES", "Europe/Madrid", 1, 0.03),
    ("AU", "Australia/Sydney", 10, 0.05),
    ("JP", "Asia/Tokyo", 9, 0.03),
    ("IN", "Asia/Kolkata", 5, 0.04),
    ("BR", "America/Sao_Paulo", -3, 0.05),
)

CATEGORIES = ("apparel", "electronics", "home", "beauty", "sports", "books", "toys", "garden")

CAMPAIGN_TYPES = ("newsletter", "promotional", "abandoned_cart", "welcome", "reengagement",
                  "product_launch")
CAMPAIGN_TYPE_SHARE = (0.35, 0.30, 0.08, 0.08, 0.07, 0.12)
# Share of eligible customers each type mails (welcome/abandoned_cart are targeted).
CAMPAIGN_TYPE_REACH = (0.85, 0.7, 0.05, 1.0, 0.6, 0.6)

FIRST_NAMES = ("Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Lucas", "Mia",
               "Mateo", "Amelia", "Levi", "Harper", "Leo", "Aria", "Hugo", "Lena", "Yuki",
               "Priya", "Arjun", "Chloe", "Jonas", "Sofia", "Finn", "Ines", "Kenji", "Maya",
               "Omar", "Zoe", "Ethan", "Lea", "Paul", "Clara", "Diego", "Nora", "Sam")
LAST_NAMES = ("Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Martin", "Muller",
              "Schmidt", "Dubois", "Bernard", "Rossi", "Tanaka", "Sato", "Patel", "Sharma",
              "Silva", "Santos", "Wilson", "Taylor", "Clark", "Lewis", "Walker", "Young",
              "Kim", "Nguyen", "Lopez", "Hill", "Green", "Baker", "Jansen", "de Vries")

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1 Safari",
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 Chrome/130.0 Mobile",
    "Microsoft Outlook 16.0.18129",
)
# What Apple's Mail Privacy Protection proxy presents when it prefetches images.
APPLE_PROXY_AGENT = "Mozilla/5.0"


def to_datetime(column: np.ndarray) -> pl.Series:
    """Microseconds since the epoch as an aware UTC polars column."""
    return pl.Series(column.astype(np.int64)).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def ids(prefix: str, count: int, width: int) -> pl.Series:
    """``prefix`` followed by the zero-padded numbers 1..count."""
    # Adding 10**width and dropping the leading 1 pads with zeros at half zfill's cost.
    numbers = pl.Series(np.arange(1, count + 1, dtype=np.int64) + 10**width).cast(pl.Utf8)
    return (prefix + numbers.str.slice(1)).rename("id")
