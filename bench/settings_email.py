"""Gau's production settings for the email benchmarks, with the email tasks on a queue of their own
(``bench_email``): a test session's worker on the same vhost (it consumes ``email``) never takes a
benchmark's messages, and the benchmark's purge never touches a test's."""

from gau.settings import *  # noqa: F403
from gau.settings import CELERY_TASK_ROUTES

CELERY_TASK_ROUTES = {**CELERY_TASK_ROUTES, "email.*": {"queue": "bench_email"}}
