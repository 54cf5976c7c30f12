"""The dashboard step of ``omnimix demo``: a demo login and the URL to open."""

from __future__ import annotations

import secrets
from pathlib import Path

DEMO_USER = "demo"


def ensure_demo_login(workspace: str | Path, username: str = DEMO_USER) -> tuple[str, str]:
    """Create (or reset) an admin ``username`` in the workspace's app state with a fresh password.

    Returns:
        (username, password): the password is random and shown once; store it or rerun to reset it.
    """
    from omnimix.web.state import AppState, default_state_url

    st = AppState(default_state_url(workspace))
    password = "demo-" + secrets.token_urlsafe(9)
    if st.get_user(username) is None:
        st.add_user(username, password, "admin")
    else:
        st.set_password(username, password)
        if st.get_user(username).role != "admin":  # type: ignore[union-attr]
            st.set_role(username, "admin")
    st.audit("omnimix demo", "user_add", username, "demo login (admin)")
    return username, password


def dashboard_message(workspace: str | Path, host: str = "127.0.0.1", port: int = 8000) -> str:
    """One line for the end of ``omnimix demo``: how to start the dashboard, where, and the login."""
    user, password = ensure_demo_login(workspace)
    return (
        f"dashboard: `omnimix serve --workspace {workspace} --port {port}` then open http://{host}:{port}/ "
        f"and log in as {user} / {password}"
    )
