"""Baseline server of the account benchmarks: production settings, no middleware, the baseline URLs."""

from gau.settings import *  # noqa: F403

MIDDLEWARE = []
ROOT_URLCONF = "bench.urls_account"
