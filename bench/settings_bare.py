"""Baseline settings: production settings with no middleware and a one-view urlconf."""

from gau.settings import *  # noqa: F403

MIDDLEWARE = []
ROOT_URLCONF = "bench.urls_bare"
