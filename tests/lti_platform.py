"""An LTI 1.3 platform (an LMS) for the tests: a real threaded HTTP server on 127.0.0.1.

It has its own RSA keys and JWKS (``/jwks``), the OIDC auth endpoint (``/auth``: takes the
tool's login redirect and answers an auto-submitting form_post of a signed id_token to the
redirect URI, as Canvas and Moodle do), a start URL (``/start``: the link a user clicks,
redirecting the browser to the tool's /lti/login), the token endpoint (``/token``: checks
the tool's client assertion against the tool's /lti/jwks.json with PyJWT) and AGS line
items (``/lineitems``, ``/lineitems/<n>/scores``), which record everything they receive.
Scripts of HTTP statuses make endpoints fail on purpose.
"""

from __future__ import annotations

import html
import http.server
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from common.lti import claims as c

CLIENT_ID = "tool-client-1"
DEPLOYMENT_ID = "deployment-1"
STUDENT_ROLES = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
INSTRUCTOR_ROLES = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    @classmethod
    def new(cls) -> SigningKey:
        return cls(
            secrets.token_hex(4), rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )

    def pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def jwk(self) -> dict[str, Any]:
        return {
            **json.loads(RSAAlgorithm.to_jwk(self.private.public_key())),
            "kid": self.kid,
            "alg": "RS256",
            "use": "sig",
        }


@dataclass
class Link:
    """A resource link of the course: its custom parameters and AGS claim."""

    id: str
    custom: dict[str, str]
    lineitem: bool = True  # False: the claim gives only the line items container
    scopes: tuple[str, ...] = (c.SCOPE_SCORE, c.SCOPE_LINEITEM, c.SCOPE_LINEITEM_READONLY)
    message_type: str = c.RESOURCE_LINK_REQUEST


@dataclass
class Recorded:
    """What the platform received."""

    tokens: list[dict[str, Any]] = field(default_factory=list)  # verified client assertions
    scores: list[dict[str, Any]] = field(default_factory=list)  # {'lineitem', 'body', 'auth'}
    created_lineitems: list[dict[str, Any]] = field(default_factory=list)
    id_tokens: list[tuple[str, str, str]] = field(default_factory=list)  # (token, state, uri)
    deep_link_responses: list[str] = field(default_factory=list)


class Platform(http.server.ThreadingHTTPServer):
    """The emulated LMS. ``tool_jwks_url`` must be set before the token endpoint is used."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.issuer = self.url
        self.keys = [SigningKey.new()]
        self.published = list(self.keys)  # the keys /jwks serves
        self.jwks_hits = 0
        self.users: dict[str, dict[str, Any]] = {}
        self.links: dict[str, Link] = {}
        self.lineitems: dict[str, dict[str, Any]] = {
            "1": {"id": f"{self.url}/lineitems/1", "scoreMaximum": 100, "label": "existing"}
        }
        self.got = Recorded()
        self.score_script: list[int] = [200]  # statuses /scores answers, the last repeats
        self.tool_jwks_url = ""
        self.tool_launch_url = ""
        self.lock = threading.Lock()
        self.issued_tokens: set[str] = set()
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> Platform:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

    # -- set-up -----------------------------------------------------------------------
    def registration_args(self, course: str) -> dict[str, str]:
        """Keyword arguments of common.lti.registry.new_registration for this platform."""
        return {
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "deployment_id": DEPLOYMENT_ID,
            "auth_url": f"{self.url}/auth",
            "token_url": f"{self.url}/token",
            "jwks_url": f"{self.url}/jwks",
            "course": course,
        }

    def add_user(self, login: str, roles: list[str] | None = None, name: str = "") -> str:
        self.users[login] = {
            "sub": f"user-{login}",
            "roles": roles or STUDENT_ROLES,
            "name": name or login.title(),
        }
        return login

    def add_link(self, link: Link) -> Link:
        self.links[link.id] = link
        return link

    def rotate_key(self, publish_old: bool = True) -> SigningKey:
        """Sign with a new key from now on (published with, or instead of, the old ones)."""
        key = SigningKey.new()
        self.keys.append(key)
        self.published = [*self.published, key] if publish_old else [key]
        return key

    def start_url(self, tool_url: str, user: str, link: str) -> str:
        """The URL a user clicks in the course: it starts the OIDC login at the tool."""
        return f"{self.url}/start?" + urlencode({"tool": tool_url, "user": user, "link": link})

    # -- tokens -----------------------------------------------------------------------
    def claims(self, user: str, link: str, nonce: str, **overrides: Any) -> dict[str, Any]:
        """The id_token claims of ``user`` launching ``link``."""
        person, item = self.users[user], self.links[link]
        now = int(time.time())
        ags: dict[str, Any] = {"scope": list(item.scopes), "lineitems": f"{self.url}/lineitems"}
        if item.lineitem:
            ags["lineitem"] = f"{self.url}/lineitems/1"
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": person["sub"],
            "name": person["name"],
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            c.MESSAGE_TYPE: item.message_type,
            c.VERSION: c.LTI_VERSION,
            c.DEPLOYMENT_ID: DEPLOYMENT_ID,
            c.TARGET_LINK_URI: self.tool_launch_url,
            c.RESOURCE_LINK: {"id": item.id},
            c.ROLES: person["roles"],
            c.CUSTOM: item.custom,
            c.AGS: ags,
        }
        if item.message_type == c.DEEP_LINKING_REQUEST:
            claims[c.DEEP_LINKING] = {
                "deep_link_return_url": f"{self.url}/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "data": "opaque-platform-data",
            }
        return {**claims, **overrides}

    def sign(self, claims: dict[str, Any], key: SigningKey | None = None) -> str:
        key = key or self.keys[-1]
        return jwt.encode(claims, key.pem(), algorithm="RS256", headers={"kid": key.kid})

    def verify_assertion(self, assertion: str) -> dict[str, Any]:
        """Verify the tool's client assertion against the tool's published JWKS."""
        signing = jwt.PyJWKClient(self.tool_jwks_url, cache_keys=False).get_signing_key_from_jwt(
            assertion
        )
        return jwt.decode(
            assertion,
            signing.key,
            algorithms=["RS256", "RS384"],
            audience=f"{self.url}/token",
            issuer=CLIENT_ID,
            options={"require": ["exp", "iat", "jti", "sub"]},
        )


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Platform

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(
        self,
        status: int,
        body: bytes | str,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, value: Any, content_type: str = "application/json") -> None:
        self._send(status, json.dumps(value), content_type)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def _authorized(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        return token if token in self.server.issued_tokens else None

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/jwks":
            self.server.jwks_hits += 1
            self._json(200, {"keys": [k.jwk() for k in self.server.published]})
        elif parts.path == "/start":
            login = (
                query["tool"]
                + "?"
                + urlencode(
                    {
                        "iss": self.server.issuer,
                        "login_hint": query["user"],
                        "lti_message_hint": query["link"],
                        "target_link_uri": self.server.tool_launch_url,
                        "client_id": CLIENT_ID,
                        "lti_deployment_id": DEPLOYMENT_ID,
                    }
                )
            )
            self._send(302, "", "text/plain", {"Location": login})
        elif parts.path == "/auth":
            self._auth(query)
        elif parts.path == "/lineitems":
            if not self._authorized():
                return self._json(401, {"error": "no token"})
            rid = query.get("resource_link_id")
            items = [
                i
                for i in self.server.lineitems.values()
                if rid is None or i.get("resourceLinkId") == rid
            ]
            self._json(200, items, c.LINEITEMS_MEDIA_TYPE)
        else:
            self._json(404, {"error": "not found"})

    def _auth(self, query: dict[str, str]) -> None:
        wanted = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": CLIENT_ID,
        }
        wrong = [k for k, v in wanted.items() if query.get(k) != v]
        if wrong or not query.get("state") or not query.get("nonce"):
            return self._send(400, f"bad auth request: {wrong}", "text/plain")
        claims = self.server.claims(query["login_hint"], query["lti_message_hint"], query["nonce"])
        token = self.server.sign(claims)
        self.server.got.id_tokens.append((token, query["state"], query["redirect_uri"]))
        page = (
            "<!doctype html><html><body><form id='f' method='post' action='{uri}'>"
            "<input type='hidden' name='id_token' value='{token}'>"
            "<input type='hidden' name='state' value='{state}'>"
            "</form><script>document.getElementById('f').submit()</script></body></html>"
        ).format(
            uri=html.escape(query["redirect_uri"]),
            token=html.escape(token),
            state=html.escape(query["state"]),
        )
        self._send(200, page, "text/html")

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        body = self._body()
        if path == "/token":
            self._token(body)
        elif path == "/lineitems":
            if not self._authorized():
                return self._json(401, {"error": "no token"})
            item = json.loads(body)
            number = str(len(self.server.lineitems) + 1)
            item["id"] = f"{self.server.url}/lineitems/{number}"
            with self.server.lock:
                self.server.lineitems[number] = item
                self.server.got.created_lineitems.append(item)
            self._json(201, item, c.LINEITEM_MEDIA_TYPE)
        elif path.startswith("/lineitems/") and path.endswith("/scores"):
            self._score(path, body)
        elif path == "/deep-link-return":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self.server.got.deep_link_responses.append(form.get("JWT", ""))
            self._send(200, "<!doctype html><p id='returned'>Back in the LMS</p>", "text/html")
        else:
            self._json(404, {"error": "not found"})

    def _token(self, body: bytes) -> None:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_assertion_type") != c.ASSERTION_TYPE
        ):
            return self._json(400, {"error": "unsupported_grant_type"})
        try:
            assertion = self.server.verify_assertion(form.get("client_assertion", ""))
        except jwt.PyJWTError as exc:
            return self._json(401, {"error": "invalid_client", "error_description": str(exc)})
        token = secrets.token_urlsafe(16)
        with self.server.lock:
            self.server.issued_tokens.add(token)
            self.server.got.tokens.append({**assertion, "scope": form.get("scope", "")})
        self._json(
            200,
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": form.get("scope", ""),
            },
        )

    def _score(self, path: str, body: bytes) -> None:
        with self.server.lock:
            script = self.server.score_script
            status = script.pop(0) if len(script) > 1 else script[0]
            self.server.got.scores.append(
                {
                    "lineitem": self.server.url + path.removesuffix("/scores"),
                    "body": json.loads(body) if body else None,
                    "auth": bool(self._authorized()),
                    "content_type": self.headers.get("Content-Type"),
                    "answered": status,
                }
            )
        if not self._authorized():
            return self._json(401, {"error": "no token"})
        self._json(status, {} if status < 300 else {"error": "try later"})
