#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import contextlib
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gau.settings")
    from django.core.management import execute_from_command_line

    if "GAU_OTEL" in os.environ or any(k.startswith("OTEL_") for k in os.environ):
        from django.core.exceptions import ImproperlyConfigured

        from gau import tracing

        # runserver and commands, before the middleware loads; without settings Django says what is wrong
        with contextlib.suppress(ImproperlyConfigured):
            tracing.setup_from_settings()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
