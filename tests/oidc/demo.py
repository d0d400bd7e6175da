"""Try "Sign in with Microsoft" by hand: the test OpenID Provider, with an account for every demo person.

    make sso-demo          # this, in one terminal: the provider on http://localhost:5056
    (the line it prints)   # in another: `make run` with the provider configured

On the provider's sign-in page type the part of a demo address before the @ (for example
joanna.shah) and any password. docs/sso.md explains what each setting means.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from lms.demo import _people_plan
from tests.oidc.harness import CLIENT_SECRET, TENANT, OpenIdProvider


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=5056, help="the provider's port on localhost (default 5056)")
    parser.add_argument("--app", default=os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000"),
                        help="where `make run` serves the app (default http://127.0.0.1:5000)")
    args = parser.parse_args()
    accounts = {
        person["email"].split("@")[0]: {"tid": TENANT, "oid": f"demo-{person['key']}", "email": person["email"],
                                        "preferred_username": person["email"],
                                        "name": f"{person['first']} {person['last']}"}
        for person in _people_plan()
    }
    accounts["someone.else"] = {"tid": TENANT, "oid": "demo-stranger", "email": "someone.else@oakfield.example.org",
                                "preferred_username": "someone.else@oakfield.example.org"}
    provider = OpenIdProvider("entra", [f"{args.app.rstrip('/')}/login/sso/microsoft/callback"], accounts,
                              client_id="lms-demo", port=args.port)
    print(f"A test OpenID Provider shaped like Microsoft Entra ID is running at {provider.issuer}\n")
    print("In another terminal, start the app with it configured:\n")
    print(f"  SSO_PROVIDERS=microsoft SSO_MICROSOFT_LABEL=Microsoft SSO_MICROSOFT_ISSUER={provider.issuer} \\\n"
          f"  SSO_MICROSOFT_CLIENT_ID=lms-demo SSO_MICROSOFT_CLIENT_SECRET={CLIENT_SECRET} \\\n"
          f"  SSO_MICROSOFT_TENANTS={TENANT} make run\n")
    print(f"Then open {args.app}/login, press \"Sign in with Microsoft\", and on the provider's page type a demo "
          "login such as joanna.shah (any password). someone.else is a Microsoft account that is not on the "
          "staff list. Ctrl+C stops the provider.")
    sys.stdout.flush()
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        provider.close()
    return 0


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    sys.exit(main())
