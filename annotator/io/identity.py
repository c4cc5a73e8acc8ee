"""Who is working: the user name recorded as the author of edits and as a reviewer."""

from __future__ import annotations

import getpass
import logging
import os

logger = logging.getLogger(__name__)

#: Environment variable that names the user (else the login name).
USER_VARIABLE = "ANNOTATOR_USER"


def current_user() -> str:
    """``$ANNOTATOR_USER``, else the login name, else ``"unknown"``."""
    name = os.environ.get(USER_VARIABLE, "").strip()
    if name:
        return name
    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "unknown"
