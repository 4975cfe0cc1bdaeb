"""An integrator's OpenID Connect client built on Authlib, driven against our provider.

Runs the FAPI 2.0 flow end to end over HTTP: discovery, a pushed authorization request with PKCE
S256 and private_key_jwt, the citizen's login and consent pages in a browser-like session, the
code exchange with a DPoP proof, ID token validation against the provider's JWKS, and userinfo
with a DPoP-bound token. Then it reuses the code, which must be refused and revoke the tokens.

Prints one JSON object on success; any failed check exits non-zero with the reason on stderr.
"""

import argparse
import html
import json
import re
import sys
from urllib.parse import parse_qs
from urllib.parse import urlparse

import pyotp
import requests
from authlib.common.security import generate_token
from authlib.common.urls import url_decode
from authlib.integrations.base_client import OAuthError
from joserfc.errors import InvalidClaimError
from joserfc.jwk import ECKey

from fapi import HTTP_TIMEOUT_SECONDS
from fapi import check
from fapi import client_session
from fapi import discover
from fapi import dpop_proof
from fapi import dpop_userinfo
from fapi import id_token_claims


def push_request(session, metadata, code_verifier, nonce):
    """PAR (RFC 9126): Authlib builds the request and authenticates the client; returns the
    `request_uri` and the `state` Authlib generated."""
    endpoint = metadata["pushed_authorization_request_endpoint"]
    url, state = session.create_authorization_url(endpoint, code_verifier=code_verifier, nonce=nonce)
    pushed = session.post(
        endpoint, data=dict(url_decode(urlparse(url).query)), auth=session.client_auth("private_key_jwt"), timeout=HTTP_TIMEOUT_SECONDS
    )
    check(pushed.status_code == 201, f"PAR answers 201, not {pushed.status_code}: {pushed.text}")
    return pushed.json()["request_uri"], state


def form_fields(page):
    """What a browser posts from the page's form: its hidden fields and its ticked checkboxes."""
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    fields.update({name: value for name, value in re.findall(r'<input type="checkbox" name="([^"]+)" value="([^"]*)" checked>', page.text)})
    return {name: html.unescape(value) for name, value in fields.items()}


def log_in_and_consent(metadata, client_id, request_uri, args):
    """The citizen's browser: login page, login form, consent form; returns the redirect URI.

    The session keeps the pages' cookies and each post repeats the page's form fields, the
    anti-forgery token among them, as a browser does.
    """
    browser = requests.Session()
    endpoint = metadata["authorization_endpoint"]
    page = browser.get(endpoint, params={"client_id": client_id, "request_uri": request_uri}, timeout=HTTP_TIMEOUT_SECONDS)
    check(page.status_code == 200 and 'name="password"' in page.text, f"login page: {page.status_code}")
    form = form_fields(page)
    check(form.get("form_token") and form.get("request_uri") == request_uri, "the login form carries its request and its anti-forgery token")
    one_time_code = pyotp.parse_uri(args.otpauth_uri).now()
    login = browser.post(
        endpoint,
        data={**form, "identifier": args.nric, "password": args.password, "otp": one_time_code},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    check(login.status_code == 200 and 'value="approve"' in login.text, f"consent page: {login.status_code} {login.text[:300]}")
    consent = browser.post(
        endpoint, data={**form_fields(login), "decision": "approve"}, allow_redirects=False, timeout=HTTP_TIMEOUT_SECONDS
    )
    check(consent.status_code == 303, f"consent answers 303, not {consent.status_code}")
    return consent.headers["Location"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("issuer", "client-id", "client-key", "redirect-uri", "nric", "password", "otpauth-uri", "scope"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()

    metadata = discover(args.issuer)
    session = client_session(metadata, args.client_id, args.client_key, args.scope, args.redirect_uri)
    dpop_key = ECKey.generate_key("P-256")
    code_verifier = generate_token(64)
    nonce = generate_token(24)
    request_uri, state = push_request(session, metadata, code_verifier, nonce)

    location = log_in_and_consent(metadata, args.client_id, request_uri, args)
    response = {name: values[0] for name, values in parse_qs(urlparse(location).query).items()}
    check(location.startswith(args.redirect_uri + "?"), f"redirected to the registered URI: {location}")
    check(response.get("iss") == args.issuer and response.get("state") == state, "RFC 9207 iss and the state come back")

    def exchange():
        headers = {"Accept": "application/json", "DPoP": dpop_proof(dpop_key, "POST", metadata["token_endpoint"])}
        return session.fetch_token(authorization_response=location, code_verifier=code_verifier, state=state, headers=headers)

    token = exchange()
    check(token["token_type"] == "DPoP", f"the access token is DPoP-bound, not {token['token_type']}")
    claims = id_token_claims(token["id_token"], metadata, args.client_id, nonce)
    try:
        id_token_claims(token["id_token"], metadata, args.client_id, nonce + "-other")
        check(False, "an ID token is refused for another nonce")
    except InvalidClaimError:
        pass

    info = dpop_userinfo(metadata, dpop_key, token["access_token"])
    check(info.status_code == 200, f"userinfo answers 200, not {info.status_code}: {info.text}")
    check(info.json()["sub"] == claims["sub"], "userinfo and the ID token name the same subject")
    bearer = requests.get(
        metadata["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=HTTP_TIMEOUT_SECONDS
    )
    check(bearer.status_code == 401, f"a DPoP-bound token presented as Bearer is refused, not {bearer.status_code}")

    try:
        exchange()
        check(False, "a reused code is refused")
    except OAuthError as error:
        check(error.error == "invalid_grant", f"a reused code is invalid_grant, not {error.error}")
    check(dpop_userinfo(metadata, dpop_key, token["access_token"]).status_code == 401, "reusing the code revokes its tokens")

    print(json.dumps({
        "sub": claims["sub"],
        "name": info.json()["name"]["value"],
        "id_token_name": claims["name"]["value"],
        "amr": claims["amr"],
        "token_type": token["token_type"],
    }))


if __name__ == "__main__":
    sys.exit(main())
