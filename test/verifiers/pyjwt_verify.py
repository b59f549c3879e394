"""Verify a token the way a Python service would, with Debian's PyJWT.

Usage: pyjwt_verify.py MODE TOKEN ALG ISSUER AUDIENCE [SECRET_OR_JWKS_URL]
  MODE full      verify signature (key from the JWKS via PyJWKClient, or the shared
                 HS256 secret), alg allow-list, iss, aud, exp and required claims
  MODE audience  skip the signature, check only iss/aud/exp (what remains of a
                 verifier that somehow accepted the signature)
Prints one JSON line: {"ok": true, "claims": {...}} or {"ok": false, "error": "<class>", "message": "..."}.
"""
import json
import sys

import jwt


def main() -> None:
    mode, token, alg, issuer, audience, source = (sys.argv[1:] + [""])[:6]
    options = {"require": ["exp", "iat", "sub", "iss", "aud"]}
    try:
        if mode == "audience":
            claims = jwt.decode(token, options={**options, "verify_signature": False, "verify_aud": True, "verify_iss": True, "verify_exp": True},
                                algorithms=[alg], issuer=issuer, audience=audience)
        elif alg == "HS256":
            claims = jwt.decode(token, source, algorithms=[alg], issuer=issuer, audience=audience, options=options)
        else:
            key = jwt.PyJWKClient(source).get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=[alg], issuer=issuer, audience=audience, options=options)
        print(json.dumps({"ok": True, "claims": claims, "pyjwt": jwt.__version__}))
    except Exception as e:  # noqa: BLE001 - the class name is the answer
        print(json.dumps({"ok": False, "error": type(e).__name__, "message": str(e), "pyjwt": jwt.__version__}))


main()
