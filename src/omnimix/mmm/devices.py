"""Host devices for parallel NUTS chains.

NumPyro runs chains in parallel only when JAX sees one device per chain. On a CPU that means asking
XLA for several host devices (``XLA_FLAGS=--xla_force_host_platform_device_count=N``) *before* JAX is
first imported; afterwards the flag has no effect and chains run vectorised (one program for all chains,
several times more CPU on this model).

:func:`prepare_host_devices` is the one place that does this. It is called on the fit path
(:meth:`omnimix.mmm.model.MMM.fit` and the workflows of :mod:`omnimix.mmm.workflow`), never at import,
so importing :mod:`omnimix.mmm` or the CLI leaves ``XLA_FLAGS`` alone. ``OMNIMIX_HOST_DEVICES=N`` sets
the number of devices asked for; ``OMNIMIX_HOST_DEVICES=0`` turns the mechanism off.
"""

from __future__ import annotations

import os
import sys

FLAG = "xla_force_host_platform_device_count"


def prepare_host_devices(chains: int = 4) -> int | None:
    """Ask XLA for one host device per chain, if JAX has not been imported yet.

    Args:
        chains: the number of NUTS chains to run in parallel (used unless ``OMNIMIX_HOST_DEVICES`` is
            set).

    Returns:
        The device count now requested in ``XLA_FLAGS``, or None when nothing was changed (JAX already
        imported, the flag already set, one chain, or ``OMNIMIX_HOST_DEVICES=0``).
    """
    env = os.environ.get("OMNIMIX_HOST_DEVICES")
    if env is not None and env.strip() == "0":
        return None
    n = int(env) if env is not None and env.strip() else int(chains)
    flags = os.environ.get("XLA_FLAGS", "")
    if n <= 1 or "jax" in sys.modules or FLAG in flags:
        return None
    os.environ["XLA_FLAGS"] = f"{flags} --{FLAG}={n}".strip()
    return n
