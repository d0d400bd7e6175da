"""The keys no one may know: SECRET_KEY (signs session cookies and password links) and AUDIT_KEY.

There is no built-in key. Outside development (LMS_ENV other than "development") SECRET_KEY must
be set (`lms.config.check_production` also holds it to 32 characters). In development a missing
key is made once from `secrets` and kept in the instance folder (`instance/secret_key`,
`instance/audit_key`, mode 0600), so sessions survive a restart and each laptop's key is its own.
An app built for tests (TESTING) with no key gets one made for this process only: tests write no
files, and every app in one test run agrees.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

KEYS = (("SECRET_KEY", "secret_key"), ("AUDIT_KEY", "audit_key"))  # setting, file in the instance folder
MIN_LENGTH = 32
_PROCESS_KEYS: dict[str, str] = {}


def provide(config: dict, instance_path: str) -> None:
    """Fill in SECRET_KEY and AUDIT_KEY where they are unset, or refuse to start without SECRET_KEY."""
    env = config.get("LMS_ENV")
    for name, filename in KEYS:
        if config.get(name):
            continue
        if env != "development":
            if name == "SECRET_KEY":
                raise RuntimeError(
                    f"LMS_ENV={env} needs SECRET_KEY set to a random value of at least {MIN_LENGTH} characters "
                    "(for example: python -c 'import secrets; print(secrets.token_hex(32))'); only "
                    "LMS_ENV=development makes one for itself.")
            continue  # AUDIT_KEY: production refuses to start without it (check_production)
        if config.get("TESTING"):
            config[name] = _PROCESS_KEYS.setdefault(name, secrets.token_hex(32))
        else:
            config[name] = instance_key(Path(instance_path) / filename)


def instance_key(path: Path) -> str:
    """The key kept in `path`, made (random, mode 0600) the first time; two processes starting at once agree."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as file:
        file.write(key + "\n")
    return key


def _read(path: Path) -> str:
    for _ in range(50):  # another process may have created the file and not yet written it
        key = path.read_text().strip()
        if key:
            break
        time.sleep(0.02)
    if len(key) < MIN_LENGTH:
        raise RuntimeError(f"{path} holds no usable key (fewer than {MIN_LENGTH} characters); delete it to make "
                           "a new one (everyone signed in is then signed out).")
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a key others on the machine can read is no secret
    return key
