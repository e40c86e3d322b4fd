"""Production settings plus one extra route: a bare view returning the cached variant's bytes."""

from gau.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_cdn"
