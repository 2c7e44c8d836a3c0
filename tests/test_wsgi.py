from __future__ import annotations

import os
import subprocess
import sys

PROBE = (
    "import gc, sys, kir.wsgi; print(gc.get_freeze_count() > 0, 'kir.register.api' in sys.modules)"
)


def test_the_wsgi_application_loads_every_view_and_freezes_what_startup_made():
    """Objects made at startup live as long as the process; frozen, they stay out of the full
    garbage collections, which otherwise paused one request in a few hundred by 40 to 60 ms
    (benchmarks/register_search.py). The views must be imported before the freeze."""
    env = {**os.environ, "KIR_INSECURE_TEST_KEY": "1", "DJANGO_SETTINGS_MODULE": "kir.settings"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True"]
