"""Signed, expiring sessions with a CSRF token (itsdangerous).

A session is a signed token holding the user, the role and a random CSRF token; it is not
stored on the server. The signature (HMAC with the server's secret key) makes it unforgeable;
the timestamp inside makes it expire. Forms and state-changing API calls must echo the CSRF
token, which a page from another site cannot read.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

DEFAULT_MAX_AGE_S = 12 * 3600  # one trading day


@dataclass(frozen=True)
class Session:
    user: str
    role: str
    csrf: str
    issued_ms: int = 0  # when it was issued (signed with it): a disabled login's older ones end


class InvalidSession(Exception):
    """A forged, tampered or expired session token."""


class SessionSigner:
    def __init__(self, secret_key: str, max_age_s: int = DEFAULT_MAX_AGE_S) -> None:
        if len(secret_key) < 32:
            raise ValueError("the session secret key has at least 32 characters")
        self._serializer = URLSafeTimedSerializer(secret_key, salt="jiqun-session")
        self.max_age_s = max_age_s

    def issue(self, user: str, role: str) -> tuple[str, Session]:
        session = Session(user, role, secrets.token_urlsafe(24), int(time.time() * 1000))
        token = self._serializer.dumps(
            {"u": user, "r": role, "c": session.csrf, "t": session.issued_ms}
        )
        return token, session

    def load(self, token: str, *, now: float | None = None) -> Session:
        """The session in ``token``; InvalidSession if forged, tampered with or expired."""
        try:
            data = self._serializer.loads(token, max_age=self.max_age_s, return_timestamp=False)
        except SignatureExpired as e:
            raise InvalidSession("session expired") from e
        except BadSignature as e:
            raise InvalidSession("session signature invalid") from e
        if not isinstance(data, dict) or not {"u", "r", "c"} <= data.keys():
            raise InvalidSession("session malformed")
        issued = data.get("t", 0)  # (tokens of an earlier version carry none: the oldest)
        if type(issued) is not int:
            raise InvalidSession("session malformed")
        return Session(str(data["u"]), str(data["r"]), str(data["c"]), issued)


def csrf_ok(session: Session, presented: str | None) -> bool:
    """Constant-time comparison of the CSRF token a request carries with the session's."""
    return presented is not None and hmac.compare_digest(session.csrf, presented)
