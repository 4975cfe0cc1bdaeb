"""A kiosk's device authorization grant (RFC 8628) on Authlib, with the citizen's app approving
over the citizen API.

The kiosk asks for device and user codes with private_key_jwt, polls the token endpoint (too
early: authorization_pending), the citizen logs in to the app and approves the user code, and the
kiosk's next poll gets a DPoP-bound token and an ID token it validates against the JWKS.

Prints one JSON object on success; any failed check exits non-zero with the reason on stderr.
"""

import argparse
import json
import sys
import time

import pyotp
import requests
from authlib.integrations.base_client import OAuthError
from joserfc.jwk import ECKey

from fapi import HTTP_TIMEOUT_SECONDS
from fapi import check
from fapi import client_session
from fapi import discover
from fapi import dpop_proof
from fapi import dpop_userinfo
from fapi import id_token_claims

DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"


def approve_in_citizen_app(issuer, user_code, args):
    """The citizen app: log in, look at the kiosk's request, approve it; returns the client name shown."""
    login = requests.post(
        issuer + "/api/identity/sessions",
        json={"identifier": args.nric, "password": args.password, "otp": pyotp.parse_uri(args.otpauth_uri).now()},
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    check(login.status_code == 201, f"the citizen logs in: {login.status_code} {login.text}")
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    url = f"{issuer}/api/identity/device-authorizations/{user_code}"
    shown = requests.get(url, headers=headers, timeout=HTTP_TIMEOUT_SECONDS)
    check(shown.status_code == 200, f"the app shows the request: {shown.status_code} {shown.text}")
    decided = requests.post(url, headers=headers, json={"approve": True}, timeout=HTTP_TIMEOUT_SECONDS)
    check(decided.status_code == 204, f"the approval answers 204, not {decided.status_code}: {decided.text}")
    return shown.json()["client_name"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("issuer", "client-id", "client-key", "nric", "password", "otpauth-uri", "scope"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()

    metadata = discover(args.issuer)
    session = client_session(metadata, args.client_id, args.client_key, args.scope)
    dpop_key = ECKey.generate_key("P-256")
    started = session.post(
        metadata["device_authorization_endpoint"],
        data={"scope": args.scope},
        auth=session.client_auth("private_key_jwt"),
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    check(started.status_code == 200, f"device authorization answers 200, not {started.status_code}: {started.text}")
    grant = started.json()

    def poll():
        headers = {"Accept": "application/json", "DPoP": dpop_proof(dpop_key, "POST", metadata["token_endpoint"])}
        return session.fetch_token(grant_type=DEVICE_GRANT_TYPE, device_code=grant["device_code"], headers=headers)

    try:
        poll()
        check(False, "a poll before the citizen decides gets no token")
    except OAuthError as error:
        check(error.error == "authorization_pending", f"an early poll is authorization_pending, not {error.error}")

    client_name = approve_in_citizen_app(args.issuer, grant["user_code"], args)
    time.sleep(grant["interval"])
    token = poll()
    check(token["token_type"] == "DPoP", f"the access token is DPoP-bound, not {token['token_type']}")
    claims = id_token_claims(token["id_token"], metadata, args.client_id)
    info = dpop_userinfo(metadata, dpop_key, token["access_token"])
    check(info.status_code == 200 and info.json()["sub"] == claims["sub"], f"userinfo names the ID token's subject: {info.text}")

    print(json.dumps({"sub": claims["sub"], "client_name": client_name, "token_type": token["token_type"]}))


if __name__ == "__main__":
    sys.exit(main())
