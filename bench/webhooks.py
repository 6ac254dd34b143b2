"""Provider webhooks: how fast a delivery is acknowledged, and how long until its events
show in the metrics.

Posts signed 1,000-event SendGrid batches to ``POST /webhooks/sendgrid`` of the real app
(in process, SQLite file) and prints the acknowledgement latency (p50, p95; goal p95 <
200 ms). Then replays 100,000 events (100 batches: processed, delivered, open, click
for 25,000 recipients) and folds the backlog as the fold jobs do, one delivery after
another, printing each fold's time and the delay from the last acknowledgement until
the campaign rollups count every event (webhook-to-metrics delay).

    python bench/webhooks.py
    python bench/webhooks.py --events 20000   # a quicker look
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import text
from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.app import create_app  # noqa: E402
from server.db.engine import engine_for  # noqa: E402
from server.db.migrate import upgrade  # noqa: E402
from server.runners import webhooks as runner  # noqa: E402
from server.settings import configure  # noqa: E402

BATCH = 1_000
ACK_BATCHES = 50
KINDS = ("processed", "delivered", "open", "click")


def batches(total: int, start: int = 0) -> list[list[dict[str, object]]]:
    """``total`` events, four per recipient, shuffled into 1,000-event batches the way a
    provider interleaves them."""
    events = []
    for number in range(start, start + total // len(KINDS)):
        for offset, kind in enumerate(KINDS):
            events.append({"email": f"r{number}@example.com", "event": kind,
                           "timestamp": 1_760_000_000 + number % 86_400 + offset * 60,
                           "sg_event_id": f"e{number}-{kind}",
                           "sg_message_id": f"m{number}.filter0001", "campaign_id":
                           f"c{number % 20}", "useragent": "Mozilla/5.0",
                           "url": "https://shop.example.com/" if kind == "click" else None,
                           "sg_machine_open": False})
    events.sort(key=lambda event: hash(event["sg_event_id"]))
    return [events[i:i + BATCH] for i in range(0, len(events), BATCH)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    private = ec.generate_private_key(ec.SECP256R1())
    public = base64.b64encode(private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()

    def headers(body: bytes) -> dict[str, str]:
        stamp = str(int(time.time()))
        signature = private.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
                "X-Twilio-Email-Event-Webhook-Timestamp": stamp}

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        settings = configure(database_url=url, secret_key="bench-" + "x" * 40,
                             webhook_sendgrid_public_key=public)
        engine = engine_for(url)
        # No lifespan: the fold jobs wait on the in-process broker while acks are timed,
        # then the backlog is folded below, as the workers would.
        client = TestClient(create_app(settings))

        acks = []
        for batch in batches(ACK_BATCHES * BATCH, start=10_000_000):
            body = json.dumps(batch).encode()
            signed = headers(body)
            began = time.perf_counter()
            response = client.post("/webhooks/sendgrid", content=body, headers=signed)
            acks.append(time.perf_counter() - began)
            assert response.status_code == 200, response.text
        acks.sort()
        p95 = acks[int(len(acks) * 0.95) - 1]
        print(f"ack, {BATCH}-event SendGrid batch ({len(acks)} posts): "
              f"p50 {statistics.median(acks) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms "
              f"(goal p95 < 200 ms)")
        with engine.begin() as connection:
            folded = [row[0] for row in connection.execute(text(
                "SELECT id FROM webhook_delivery ORDER BY id"))]
        runner.fold_unfolded(engine, settings, folded)

        replay = batches(args.events)
        began = time.perf_counter()
        for batch in replay:
            body = json.dumps(batch).encode()
            assert client.post("/webhooks/sendgrid", content=body,
                               headers=headers(body)).status_code == 200
        acked = time.perf_counter()
        with engine.begin() as connection:
            pending = [row[0] for row in connection.execute(text(
                "SELECT id FROM webhook_delivery WHERE folded_at IS NULL ORDER BY id"))]
        folds = []
        for delivery_id in pending:
            start = time.perf_counter()
            runner.fold(engine, settings, delivery_id)
            folds.append(time.perf_counter() - start)
        done = time.perf_counter()
        with engine.connect() as connection:
            opens = connection.execute(text(
                "SELECT SUM(unique_opens) FROM rollup_campaign_day")).scalar()
        expected = args.events // len(KINDS) + ACK_BATCHES * BATCH // len(KINDS)
        assert opens == expected, (opens, expected)
        folds.sort()
        print(f"replay of {len(replay) * BATCH:,} events in {len(replay)} deliveries: "
              f"acknowledged in {acked - began:.1f} s; folded in {done - acked:.1f} s "
              f"({len(replay) * BATCH / (done - acked):,.0f} events/s)")
        print(f"fold of one {BATCH}-event delivery: p50 {statistics.median(folds) * 1000:.0f}"
              f" ms, p95 {folds[int(len(folds) * 0.95) - 1] * 1000:.0f} ms")
        print(f"webhook-to-metrics delay (last ack to every event in the rollups, one "
              f"worker): {done - acked:.1f} s; per delivery with an idle worker: "
              f"{statistics.median(folds) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
