"""Host devices are asked for on the fit path only, never at import."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def _run(code: str, **env: str) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "OMNIMIX_HOST_DEVICES")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**base, **env},
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_cli_and_the_mmm_leaves_xla_alone() -> None:
    got = _run("import json, os, sys\n"
               "import omnimix.cli, omnimix.mmm, omnimix.mmm.workflow, omnimix.mmm.model\n"
               "from omnimix.mmm import load_csv, MMM, FitSpec\n"
               "print(json.dumps({'xla': os.environ.get('XLA_FLAGS'), 'jax': 'jax' in sys.modules}))")
    assert got == {"xla": None, "jax": False}


def test_prepare_host_devices_before_and_after_jax() -> None:
    got = _run("import json, os\n"
               "from omnimix.mmm.devices import prepare_host_devices\n"
               "n = prepare_host_devices(3)\n"
               "again = prepare_host_devices(5)\n"
               "import jax\n"
               "late = prepare_host_devices(7)\n"
               "print(json.dumps({'n': n, 'again': again, 'late': late, 'xla': os.environ['XLA_FLAGS'],"
               " 'devices': jax.local_device_count()}))")
    assert got == {"n": 3, "again": None, "late": None, "xla": "--xla_force_host_platform_device_count=3",
                   "devices": 3}


def test_env_switch_and_override() -> None:
    code = ("import json, os\n"
            "from omnimix.mmm.devices import prepare_host_devices\n"
            "print(json.dumps({'n': prepare_host_devices(4), 'xla': os.environ.get('XLA_FLAGS')}))")
    assert _run(code, OMNIMIX_HOST_DEVICES="0") == {"n": None, "xla": None}
    assert _run(code, OMNIMIX_HOST_DEVICES="2") == {"n": 2, "xla": "--xla_force_host_platform_device_count=2"}
    kept = _run(code, XLA_FLAGS="--xla_cpu_enable_fast_math=false")
    assert kept == {"n": 4, "xla": "--xla_cpu_enable_fast_math=false --xla_force_host_platform_device_count=4"}


def test_the_fit_asks_for_one_device_per_chain() -> None:
    """MMM.fit prepares the devices before it first imports JAX (a MAP fit: no sampling needed)."""
    got = _run("import json, os\n"
               "from omnimix.mmm.model import MMM, MMMConfig\n"
               "from omnimix.simulate.media import simulate_media\n"
               "from omnimix.simulate.truth import from_world\n"
               "w = simulate_media(weeks=52, seed=4, channels=['search'], confounded=None)\n"
               "MMM(MMMConfig(chains=3, fourier_order=1)).fit(from_world(w), mode='map')\n"
               "import jax\n"
               "print(json.dumps({'xla': os.environ.get('XLA_FLAGS'), 'devices': jax.local_device_count()}))")
    assert got == {"xla": "--xla_force_host_platform_device_count=3", "devices": 3}
