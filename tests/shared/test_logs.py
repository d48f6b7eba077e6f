"""The servers' log lines: JSON for log shippers or readable text, and no secret in either."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from shared.logs import REDACTED, configure_logging
from tests.support import captured_logs, json_lines

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsImV4cCI6MTcwMDAwMDAwMH0."
    "c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
)


def test_a_json_line_has_time_level_logger_message_and_the_fields_given() -> None:
    with captured_logs(level="info") as out:
        logging.getLogger("bilten.test").info(
            "stored %d scans", 3, extra={"event_id": 7, "not_a_field": "x"}
        )
        logging.getLogger("bilten.test").debug("below the level")

    [line] = json_lines(out.getvalue())
    assert list(line)[:4] == ["@timestamp", "level", "logger", "message"]
    assert line["@timestamp"].endswith("Z")
    assert (line["level"], line["logger"], line["message"]) == (
        "info",
        "bilten.test",
        "stored 3 scans",
    )
    assert line["event_id"] == 7
    assert "not_a_field" not in line


def test_the_request_id_bound_in_this_context_is_on_every_line() -> None:
    with captured_logs() as out:
        with structlog.contextvars.bound_contextvars(request_id="f00d"):
            logging.getLogger("bilten.test").warning("inside")
        logging.getLogger("bilten.test").warning("outside")

    inside, outside = json_lines(out.getvalue())
    assert inside["request_id"] == "f00d"
    assert "request_id" not in outside


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("Authorization: Bearer device-token-1234567890", "device-token-1234567890"),
        (f"refresh with {JWT}", JWT),
        ("connecting to postgresql://bilten:db-pass-word@db:5432/bilten", "db-pass-word"),
        ("smtp://mailer:mail-pass-word@mail.example.org:587", "mail-pass-word"),
        ("stripe key sk_test_51Habcdefghijklmnop", "sk_test_51Habcdefghijklmnop"),
        ("webhook secret whsec_abcdefghijklmnop1234", "whsec_abcdefghijklmnop1234"),
        ("client secret pi_3abcDEF_secret_xyz123XYZ", "pi_3abcDEF_secret_xyz123XYZ"),
        ("venue key bvk_Abc-def_ghiJKLmnop12345", "bvk_Abc-def_ghiJKLmnop12345"),
        ("GET /account/reset?token=reset-token-value-123", "reset-token-value-123"),
        ("form password=hunter2hunter2&email=a@b.c", "hunter2hunter2"),
    ],
)
def test_credentials_are_recognised_by_their_shape(message: str, secret: str) -> None:
    with captured_logs() as out:
        logging.getLogger("bilten.test").info(message)

    [line] = json_lines(out.getvalue())
    assert secret not in out.getvalue()
    assert REDACTED in line["message"]


def test_the_servers_own_secrets_are_taken_out_wherever_they_appear() -> None:
    master = "bWFzdGVyLWtleS1vZi10aGUtY2xvdWQtMzItYnl0ZXM="
    with captured_logs(secrets=[master, "short"]) as out:
        try:
            raise ValueError(f"cannot decode {master}")
        except ValueError:
            logging.getLogger("bilten.test").exception("start-up failed with %s", master)
        logging.getLogger("bilten.test").info("a short word stays")

    text = out.getvalue()
    assert master not in text
    failed, short = json_lines(text)
    assert "ValueError: cannot decode [redacted]" in failed["exception"]
    # Values too short to be told apart from ordinary words are left alone.
    assert short["message"] == "a short word stays"


def test_values_under_secret_names_are_never_written() -> None:
    with captured_logs() as out:
        structlog.get_logger("bilten.test").info(
            "login",
            password="correct horse",
            token="abc",
            session=12345,
            nested={"api_key": "k", "n": 1},
        )

    [line] = json_lines(out.getvalue())
    assert (line["password"], line["token"], line["session"]) == (REDACTED, REDACTED, REDACTED)
    assert line["nested"] == {"api_key": REDACTED, "n": 1}


def test_at_debug_the_libraries_that_print_bodies_and_parameters_stay_quiet() -> None:
    with captured_logs(level="debug") as out:
        logging.getLogger("sqlalchemy.engine.Engine").info("[parameters: ('hash-of-password',)]")
        logging.getLogger("stripe").debug("API response body body='{\"client_secret\": 1}'")
        logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /cart/tok HTTP/1.1" 200')
        logging.getLogger("bilten.test").debug("ours at debug")

    assert [line["message"] for line in json_lines(out.getvalue())] == ["ours at debug"]


def test_text_lines_read_like_a_log_file() -> None:
    stream = io.StringIO()
    with captured_logs():
        configure_logging(json_lines=False, level="info", stream=stream)
        logging.getLogger("bilten.access").info(
            "GET /health 200", extra={"method": "GET", "path": "/health", "status": 200}
        )

    [line] = stream.getvalue().splitlines()
    stamp, level, rest = line.split(" ", 2)
    assert stamp.endswith("Z") and level == "INFO"
    # The message says method, path and status already; they are not repeated after it.
    assert rest == "bilten.access: GET /health 200"


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging(json_lines=True, level="chatty")


def test_a_line_repeated_thousands_of_times_is_redacted_every_time() -> None:
    # Servers repeat their lines; what was scrubbed once is remembered, never the original.
    key = "sk_live_51Habcdefghijklmnop"
    with captured_logs() as out:
        for n in range(5000):
            logging.getLogger("bilten.test").info("charging with %s", key)
            logging.getLogger("bilten.test").info("client %d", n)

    lines = json_lines(out.getvalue())
    assert len(lines) == 10_000
    assert key not in out.getvalue()
    assert {line["message"] for line in lines[::2]} == {f"charging with {REDACTED}"}
    assert lines[-1]["message"] == "client 4999"


@pytest.mark.parametrize("json_lines", [True, False])
def test_plain_lines_are_made_as_the_full_processor_chain_makes_them(json_lines: bool) -> None:
    # Most lines take a shorter way than structlog's processors: it must give the same line.
    stream = io.StringIO()
    secret = "server-secret-value-1234"
    with captured_logs():
        configure_logging(json_lines=json_lines, level="debug", secrets=[secret], stream=stream)
        formatter = logging.getLogger().handlers[0].formatter
        assert isinstance(formatter, structlog.stdlib.ProcessorFormatter)
        logger = logging.getLogger("bilten.access")
        records = [
            logger.makeRecord("bilten.test", logging.INFO, "f", 1, "stored %d scans", (3,), None),
            logger.makeRecord(
                "bilten.access",
                logging.WARNING,
                "f",
                1,
                "%s %s %d",
                ("GET", "/health", 200),
                None,
                extra={"method": "GET", "path": f"/x?k={secret}", "status": 200, "other": 1},
            ),
            logger.makeRecord(
                "bilten.test", logging.ERROR, "f", 1, "Bearer abc.def-ghi and %s", (JWT,), None
            ),
        ]

        def both(record: logging.LogRecord) -> tuple[str, str]:
            full = structlog.stdlib.ProcessorFormatter.format(formatter, record)
            return formatter.format(record), full

        # Bound to the request: its id, a key of no field, and one an extra field has too.
        with structlog.contextvars.bound_contextvars(request_id="f00d", venue="v1", event_id=4):
            lines = [both(record) for record in records]
        lines.append(both(records[0]))

    for short, full in lines:
        if json_lines:
            short_fields, full_fields = json.loads(short), json.loads(full)
            assert short_fields.pop("@timestamp").endswith("Z")
            full_fields.pop("@timestamp")
            assert list(short_fields.items()) == list(full_fields.items())
        else:
            assert short.split(" ", 1)[1] == full.split(" ", 1)[1]
        assert secret not in short and JWT not in short
