"""Candidate settings: production settings unchanged (full middleware, DRF config), plus the bench route."""

from gau.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_full"
