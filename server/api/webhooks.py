"""``POST /webhooks/{provider}`` (sendgrid, mailgun, postmark) and
``POST /webhooks/ses/{token}``: provider event webhooks.

Each request proves itself by the provider's signature (or Basic credentials, or the
secret path token for SES), never an API key. A delivery is kept and acknowledged at
once with 200; a job folds it in. A bad or missing proof gets 401 and changes nothing.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.runners import webhooks as runner
from server.webhooks import PayloadError, SignatureError

log = logging.getLogger(__name__)

# Larger bodies are refused before they are read into memory (SendGrid batches stay
# well under this; SES, Mailgun and Postmark send one event per request).
MAX_BODY = 32 * 1024 * 1024


SES_PREFIX = "/webhooks/ses/"


class RedactSesToken(logging.Filter):
    """Hides the SES path token (a credential) in uvicorn's access log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) \
                and args[2].startswith(SES_PREFIX):
            record.args = (*args[:2], SES_PREFIX + "<token>", *args[3:])
        return True


def redact_access_log(logger: logging.Logger | None = None) -> None:
    """Install ``RedactSesToken`` on the access log once (create_app calls it)."""
    logger = logger or logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, RedactSesToken) for existing in logger.filters):
        logger.addFilter(RedactSesToken())


async def _receive(request: Request, provider: str, token: str | None) -> Response:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        return JSONResponse({"error": f"the body is larger than {MAX_BODY} bytes"},
                            status_code=413)
    body = await request.body()
    state = request.app.state
    try:
        receipt = await run_in_threadpool(runner.receive, state.engine, state.settings,
                                          provider, request.headers, body, token)
    except LookupError as error:
        return JSONResponse({"error": str(error)}, status_code=404)
    except SignatureError as error:
        log.info("webhook %s refused: %s", provider, error)
        return JSONResponse({"error": str(error)}, status_code=401)
    except runner.Replayed as error:
        # 406 tells Mailgun not to retry; the first delivery was kept.
        return JSONResponse({"error": str(error)}, status_code=406)
    except PayloadError as error:
        return JSONResponse({"error": str(error)}, status_code=400)
    except runner.NotQueued as error:
        # 503 makes the provider retry; the retry is recognised and queued then.
        return JSONResponse({"error": str(error)}, status_code=503)
    return JSONResponse({"provider": receipt.provider, "delivery": receipt.delivery_id,
                         "duplicate": not receipt.new, "events": receipt.events,
                         "job": receipt.job_id})


async def provider_webhook(request: Request) -> Response:
    provider = request.path_params["provider"]
    if provider == "ses":
        return JSONResponse({"error": "SES posts to /webhooks/ses/<token>: subscribe that "
                                      "URL with MAILSCOPE_WEBHOOK_SES_TOKEN"},
                            status_code=401)
    return await _receive(request, provider, None)


async def ses_webhook(request: Request) -> Response:
    return await _receive(request, "ses", request.path_params["token"])


routes = [
    Route("/webhooks/ses/{token}", ses_webhook, methods=["POST"]),
    Route("/webhooks/{provider}", provider_webhook, methods=["POST"]),
]
