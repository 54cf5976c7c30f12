"""The dashboard and API (FastAPI + Jinja2) on top of the warehouse: the top layer with the CLI.

``omnimix.web.app.create_app(workspace)`` builds the application (``omnimix serve --workspace ws`` runs
it with uvicorn). The package itself exports nothing, so ``import omnimix.web`` does not import
FastAPI. docs/web.md describes the pages, the API, roles and the module layout.
"""

from __future__ import annotations

__all__: list[str] = []
