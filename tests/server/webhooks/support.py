"""Keys the tests make themselves, signers for every provider, the shipped samples, and
an app whose webhook settings hold those keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from jobs.broker import ENQUEUED, broker
from server.app import create_app
from server.db.repository.events import LEDGER_COLUMNS
from server.db.repository.webhooks import list_deliveries
from server.runners import webhooks as runner
from server.settings import Settings, configure

SAMPLES = Path(__file__).resolve().parents[3] / "server" / "webhooks" / "samples"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:ses-events"
SES_TOKEN = "ses-path-token-" + "t" * 24
POSTMARK_USER, POSTMARK_PASSWORD = "postmark-hook", "s3cret-p4ss"


def sample(provider: str, name: str) -> bytes:
    return (SAMPLES / provider / f"{name}.json").read_bytes()


def sample_names(provider: str) -> list[str]:
    return sorted(path.stem for path in (SAMPLES / provider).glob("*.json"))


@dataclass(frozen=True)
class Keys:
    """A SendGrid-style ECDSA P-256 pair and a Mailgun signing key, made per test run."""

    private: ec.EllipticCurvePrivateKey
    public_b64: str
    mailgun: str

    def sendgrid_headers(self, body: bytes, timestamp: str | None = None) -> dict[str, str]:
        timestamp = timestamp or str(int(time.time()))
        signature = self.private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
                "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
                "Content-Type": "application/json"}

    def mailgun_body(self, event_data: dict[str, Any], timestamp: int | None = None,
                     token: str | None = None) -> bytes:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        token = token or secrets.token_hex(25)
        signature = hmac.new(self.mailgun.encode(), (stamp + token).encode(),
                             hashlib.sha256).hexdigest()
        return json.dumps({"signature": {"timestamp": stamp, "token": token,
                                         "signature": signature},
                           "event-data": event_data}).encode()


@pytest.fixture(scope="session")
def keys() -> Keys:
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return Keys(private, base64.b64encode(public).decode(), secrets.token_hex(16))


def basic(user: str = POSTMARK_USER, password: str = POSTMARK_PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def hook_settings(settings: Settings, keys: Keys) -> Iterator[Settings]:
    """The test's settings plus every provider's proof."""
    values = settings.model_dump() | {
        "webhook_sendgrid_public_key": keys.public_b64, "webhook_mailgun_signing_key":
        keys.mailgun, "webhook_postmark_username": POSTMARK_USER,
        "webhook_postmark_password": POSTMARK_PASSWORD, "webhook_ses_token": SES_TOKEN,
        "webhook_ses_topic_arns": TOPIC_ARN}
    yield configure(**values)
    configure()


@pytest.fixture
def clean_broker() -> Iterator[None]:
    broker.flush_all()
    ENQUEUED.clear()
    yield
    broker.flush_all()
    ENQUEUED.clear()


@pytest.fixture
def hook_client(hook_settings: Settings, clean_broker: None) -> TestClient:
    """The app without its lifespan: no embedded workers, so tests fold explicitly."""
    return TestClient(create_app(hook_settings))


def fold_all(engine: Engine, settings: Settings) -> int:
    """Fold every received delivery, oldest first, as the fold jobs would."""
    deliveries = sorted(d.id or 0 for d in list_deliveries(engine=engine, limit=100_000))
    return runner.fold_unfolded(engine, settings, deliveries)


def table(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def state(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a fold writes that must not depend on delivery order or repetition."""
    return {
        "message": table(engine, "SELECT * FROM message ORDER BY message_id"),
        # Without ingest_seq, which numbers the folds rather than the facts.
        "email_event": table(engine, f"SELECT {', '.join(LEDGER_COLUMNS)} FROM email_event "
                                     "ORDER BY event_id"),
        "customer": table(engine, "SELECT * FROM customer ORDER BY customer_id"),
        "campaign": table(engine, "SELECT * FROM campaign ORDER BY campaign_id"),
        "rollup": table(engine, "SELECT * FROM rollup_campaign_day "
                                "ORDER BY campaign_id, variant_id, day"),
    }
