"""What an integrator adds to Authlib for a FAPI 2.0 provider: private_key_jwt with the issuer as
audience and a short life, DPoP proofs (RFC 9449), and ID token validation with Authlib's own
OpenID Connect claims classes. Shared by the interop scripts next to this file."""

import base64
import hashlib
import time

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import ECKey
from joserfc.jwk import KeySet

ASSERTION_LIFETIME_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 30


class FAPIPrivateKeyJWT(PrivateKeyJWT):
    """private_key_jwt as FAPI 2.0 asks: ES256, `aud` the issuer, a short life.

    Authlib takes the audience from `token_endpoint`, so the issuer goes there. It also writes the
    `jti` it generates into the claims dict it is given, so a fixed dict would repeat one `jti`
    (which the provider refuses as a replay): each assertion gets a fresh dict.
    """

    def __init__(self, issuer):
        super().__init__(token_endpoint=issuer, alg="ES256")

    def sign(self, auth, token_endpoint):
        self.claims = {"exp": int(time.time()) + ASSERTION_LIFETIME_SECONDS}
        return super().sign(auth, token_endpoint)


def check(condition, message):
    """Ends the script with `message` on stderr unless `condition` holds."""
    if not condition:
        raise SystemExit(f"check failed: {message}")


def discover(issuer):
    metadata = requests.get(issuer + "/.well-known/openid-configuration", timeout=HTTP_TIMEOUT_SECONDS).json()
    check(metadata["issuer"] == issuer, "discovery names our issuer")
    return metadata


def client_session(metadata, client_id, key_path, scope, redirect_uri=None):
    """Authlib's OAuth 2.0 session for a private_key_jwt client whose key is the PEM at `key_path`."""
    with open(key_path, "rb") as pem:
        client_key = ECKey.import_key(pem.read())
    session = OAuth2Session(
        client_id,
        client_key,
        token_endpoint_auth_method="private_key_jwt",
        scope=scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint=metadata["token_endpoint"],
    )
    session.register_client_auth_method(FAPIPrivateKeyJWT(metadata["issuer"]))
    return session


def base64url_sha256(text):
    digest = hashlib.sha256(text.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def dpop_proof(key, method, url, access_token=None):
    """An RFC 9449 proof; `ath` binds it to the access token at a protected resource."""
    claims = {"jti": generate_token(32), "htm": method, "htu": url, "iat": int(time.time())}
    if access_token is not None:
        claims["ath"] = base64url_sha256(access_token)
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}
    return jwt.encode(header, claims, key, algorithms=["ES256"])


def dpop_userinfo(metadata, key, access_token):
    """Userinfo with a DPoP-bound access token."""
    headers = {
        "Authorization": f"DPoP {access_token}",
        "DPoP": dpop_proof(key, "GET", metadata["userinfo_endpoint"], access_token),
    }
    return requests.get(metadata["userinfo_endpoint"], headers=headers, timeout=HTTP_TIMEOUT_SECONDS)


def id_token_claims(id_token, metadata, client_id, nonce=None):
    """Verifies the ID token's signature against the provider's JWKS and validates its claims with
    Authlib's CodeIDToken, as Authlib's own OpenID Connect integrations do."""
    jwks = requests.get(metadata["jwks_uri"], timeout=HTTP_TIMEOUT_SECONDS).json()
    token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=metadata["id_token_signing_alg_values_supported"])
    options = {"iss": {"essential": True, "value": metadata["issuer"]}, "aud": {"essential": True, "value": client_id}}
    claims = CodeIDToken(token.claims, token.header, options, {"nonce": nonce, "client_id": client_id})
    claims.validate(leeway=5)
    return claims
