"""The mail stage against a real SMTP server on loopback (aiosmtpd); no mocks."""

from __future__ import annotations

import email
import ssl
import sys
import time
from email import policy
from pathlib import Path

import pytest

from forms_service.mail import (
    Attachment,
    PermanentSendError,
    PickupDirectoryBackend,
    SmtpBackend,
    TransientSendError,
    backend_from_url,
    build_email,
    check_size,
    message_size,
    parse_smtp_url,
    tls_context,
)
from forms_service.mail.message import EN_DASH

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from smtp_server import SmtpTestServer, closed_port, silent_listener

SPOC = "c-spoc@example.gov.uk"
SENDER = "early-help-forms@example.gov.uk"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
DOCX = b"PK\x03\x04" + bytes(range(255, -1, -1)) * 8
DOCX_TYPE = "vnd.openxmlformats-officedocument.wordprocessingml.document"


def make_message(
    reference: str = "EH-2025-ABC123",
    form_title: str = "Referral Request for support",
    submission_id: str = "5f0c3a8e-0d7b-4c1e-9f3a-7a1b2c3d4e5f",
    attachments: list[Attachment] | None = None,
    body: str = "A new referral.\n",
):
    if attachments is None:
        attachments = [
            Attachment(f"{reference}.pdf", PDF, "application", "pdf"),
            Attachment(f"{reference}.docx", DOCX, "application", DOCX_TYPE),
        ]
    return build_email(
        subject=f"{form_title} {EN_DASH} {reference}",
        sender=SENDER,
        to=SPOC,
        body=body,
        attachments=attachments,
        message_id=submission_id,
        message_id_domain="forms.example.gov.uk",
    )


@pytest.fixture
def smtp():
    with SmtpTestServer() as server:
        yield server


def send(url: str, msg) -> None:
    SmtpBackend(parse_smtp_url(url)).send(msg, [SPOC])


# ----------------------------------------------------------------------------- message


def test_message_with_two_attachments_round_trips(smtp):
    msg = make_message()
    send(smtp.url(), msg)

    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received.rcpt_tos == [SPOC]
    assert received.mail_from == SENDER
    parsed = email.message_from_bytes(received.data, policy=policy.default)
    assert parsed["Subject"] == "Referral Request for support \u2013 EH-2025-ABC123"
    assert parsed["Message-ID"] == "<5f0c3a8e-0d7b-4c1e-9f3a-7a1b2c3d4e5f@forms.example.gov.uk>"
    assert parsed["Date"] is not None
    assert parsed["To"] == SPOC and parsed["From"] == SENDER
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == "A new referral.\n"
    files = {part.get_filename(): part for part in parsed.iter_attachments()}
    assert set(files) == {"EH-2025-ABC123.pdf", "EH-2025-ABC123.docx"}
    assert files["EH-2025-ABC123.pdf"].get_content() == PDF
    assert files["EH-2025-ABC123.pdf"].get_content_type() == "application/pdf"
    assert files["EH-2025-ABC123.docx"].get_content() == DOCX
    assert files["EH-2025-ABC123.docx"].get_content_type() == f"application/{DOCX_TYPE}"


def test_message_id_is_stable_across_builds():
    assert make_message()["Message-ID"] == make_message()["Message-ID"]


def test_message_size_counts_encoded_bytes():
    msg = make_message()
    size = message_size(msg)
    assert size == len(msg.as_bytes())
    assert size > (len(PDF) + len(DOCX)) * 4 / 3  # base64 overhead included


@pytest.mark.parametrize(
    ("form_title", "reference"),
    [
        ("Referral\r\nBcc: evil@example.com", "EH-1"),
        ("Referral", "EH-1\r\nBcc: evil@example.com"),
        ("Referral\nBcc: evil@example.com", "EH-1\rBcc: evil@example.com"),
        ("=?UTF-8?Q?=0A?=Bcc: evil@example.com", "EH-1"),
        ("Referral\u2028Bcc: evil@example.com\x00\x1b", "EH-1\x85Bcc: evil@example.com"),
    ],
)
def test_header_injection_is_neutralised(smtp, form_title, reference):
    msg = make_message(reference=reference, form_title=form_title)
    send(smtp.url(), msg)

    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received.rcpt_tos == [SPOC]
    parsed = received.parsed()
    assert "Bcc" not in parsed
    assert sorted(k.lower() for k in parsed.keys()) == sorted(
        ["from", "to", "subject", "date", "message-id", "mime-version", "content-type"]
    )
    subject = str(parsed["Subject"])
    assert not any(ord(c) < 32 or c in "\x7f\x85\u2028\u2029" for c in subject)
    head = received.data.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in head and b"\nBcc:" not in head


@pytest.mark.parametrize(
    "address",
    [
        "a@example.com, b@example.com",
        "Name <a@example.com>",
        "a@example.com\r\nBcc: evil@example.com",
        "a@example.com\n",
        "not-an-address",
        "",
        "a@b@example.com",
    ],
)
def test_sender_and_recipient_must_be_one_plain_address(address):
    base = dict(
        subject=f"Referral {EN_DASH} EH-1",
        body="x",
        attachments=[],
        message_id_domain="forms.example.gov.uk",
        message_id="abc",
    )
    with pytest.raises(ValueError):
        build_email(sender=address, to=SPOC, **base)
    with pytest.raises(ValueError):
        build_email(sender=SENDER, to=address, **base)


def test_attachment_filenames_are_sanitised():
    msg = make_message(
        attachments=[
            Attachment("../../etc/passwd\r\nX: y.pdf", b"%PDF", "application", "pdf"),
            Attachment("référence é.docx", b"PK", "application", DOCX_TYPE),
        ]
    )
    parsed = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    names = [part.get_filename() for part in parsed.iter_attachments()]
    assert names == ["etc_passwd__X__y.pdf", "r_f_rence__.docx"]


def test_bad_message_id_parts_are_rejected():
    with pytest.raises(ValueError):
        make_message(submission_id="abc>\r\nBcc: x@y.z")


# ----------------------------------------------------------------------------- errors


def test_451_is_transient(smtp):
    smtp.fail_next(451)
    with pytest.raises(TransientSendError) as info:
        send(smtp.url(), make_message())
    assert info.value.code == 451
    assert "451" in info.value.reason
    assert smtp.messages == []
    send(smtp.url(), make_message())  # the next attempt goes through
    assert len(smtp.messages) == 1


def test_550_is_permanent(smtp):
    smtp.fail_next(550)
    with pytest.raises(PermanentSendError) as info:
        send(smtp.url(), make_message())
    assert info.value.code == 550
    assert smtp.messages == []


def test_rcpt_replies_are_classified(smtp):
    smtp.fail_next(450, stage="RCPT")
    with pytest.raises(TransientSendError) as transient:
        send(smtp.url(), make_message())
    assert transient.value.code == 450
    smtp.fail_next(550, stage="RCPT", text="5.1.1 <c-spoc@example.gov.uk> no such user")
    with pytest.raises(PermanentSendError) as permanent:
        send(smtp.url(), make_message())
    assert permanent.value.code == 550
    assert "@" not in permanent.value.reason  # the server's text is not copied
    assert smtp.messages == []


def test_connection_refused_is_transient():
    url = f"smtp://127.0.0.1:{closed_port()}?timeout=2"
    with pytest.raises(TransientSendError) as info:
        send(url, make_message())
    assert info.value.code is None


def test_silent_server_times_out_quickly():
    with silent_listener() as port:
        started = time.monotonic()
        with pytest.raises(TransientSendError) as info:
            send(f"smtp://127.0.0.1:{port}?timeout=1", make_message())
        elapsed = time.monotonic() - started
    assert elapsed < 2.5
    assert "timed out" in info.value.reason


def test_size_advertised_smaller_than_message_is_permanent():
    with SmtpTestServer(size_limit=2048) as server:
        msg = make_message()
        assert message_size(msg) > 2048
        with pytest.raises(PermanentSendError) as info:
            send(server.url(), msg)
        assert info.value.reason.startswith("too_large")
        assert server.messages == []


def test_check_size_cap():
    msg = make_message()
    assert check_size(msg, 10_000_000) == message_size(msg)
    with pytest.raises(PermanentSendError) as info:
        check_size(msg, 1000)
    assert info.value.reason.startswith("too_large")


def test_envelope_recipients_come_from_the_caller(smtp):
    msg = make_message()
    SmtpBackend(parse_smtp_url(smtp.url())).send(msg, ["other@example.gov.uk"])
    assert smtp.messages[0].rcpt_tos == ["other@example.gov.uk"]
    with pytest.raises(ValueError):
        SmtpBackend(parse_smtp_url(smtp.url())).send(msg, [])
    with pytest.raises(ValueError):
        SmtpBackend(parse_smtp_url(smtp.url())).send(msg, ["a@b.example, c@d.example"])


# ----------------------------------------------------------------------------- TLS


def test_starttls_required_but_not_offered_fails_without_plaintext_fallback(smtp):
    with pytest.raises(TransientSendError) as info:
        send(smtp.url("smtp+starttls", verify=False), make_message())
    assert info.value.reason == "server does not offer STARTTLS"
    assert smtp.messages == []


def test_starttls_with_self_signed_certificate_is_rejected(tmp_path):
    with SmtpTestServer(starttls=True, tmp_dir=tmp_path) as server:
        with pytest.raises(TransientSendError) as info:
            send(server.url("smtp+starttls"), make_message())
        assert "certificate verify failed" in info.value.reason
        assert server.messages == []


def test_starttls_with_cafile_delivers_over_tls(tmp_path):
    with SmtpTestServer(starttls=True, tmp_dir=tmp_path) as server:
        send(server.url("smtp+starttls", cafile=server.certfile), make_message())
        assert len(server.messages) == 1
        assert server.messages[0].tls
        assert server.messages[0].rcpt_tos == [SPOC]


def test_starttls_with_verify_false_delivers(tmp_path):
    with SmtpTestServer(starttls=True, tmp_dir=tmp_path) as server:
        send(server.url("smtp+starttls", verify=False), make_message())
        assert server.messages[0].tls


def test_smtps_implicit_tls(tmp_path):
    with SmtpTestServer(implicit_tls=True, tmp_dir=tmp_path) as server:
        with pytest.raises(TransientSendError) as info:
            send(server.url("smtps", timeout=5), make_message())
        assert "certificate verify failed" in info.value.reason
        assert server.messages == []
        send(server.url("smtps", cafile=server.certfile), make_message())
        assert len(server.messages) == 1
        assert server.messages[0].rcpt_tos == [SPOC]


def test_tls_context_is_strict_by_default():
    ctx = tls_context(parse_smtp_url("smtps://u:p@mail.example.gov.uk"))
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname


# ----------------------------------------------------------------------------- URLs


def test_parse_smtp_url_variants():
    s = parse_smtp_url("smtp+starttls://us%40er:p%3Ass%2Fw@mail.example.gov.uk:587?timeout=10")
    assert (s.host, s.port, s.security) == ("mail.example.gov.uk", 587, "starttls")
    assert (s.username, s.password, s.timeout, s.verify) == ("us@er", "p:ss/w", 10.0, True)
    assert "p:ss/w" not in repr(s)

    s = parse_smtp_url("smtps://u:p@mail.example.gov.uk?verify=false&cafile=/tmp/ca.pem")
    assert (s.port, s.security, s.verify, s.cafile) == (465, "implicit", False, "/tmp/ca.pem")
    assert parse_smtp_url("smtps://mail.example.gov.uk").timeout == 30.0

    s = parse_smtp_url("smtp://127.0.0.1:2525")
    assert (s.security, s.port, s.username) == ("plain", 2525, None)
    assert parse_smtp_url("smtp://relay.internal:25?insecure=true").security == "plain"


@pytest.mark.parametrize(
    "url",
    [
        "smtp://mail.example.gov.uk:25",  # plain to a remote host without insecure=true
        "http://mail.example.gov.uk",
        "smtps://",
        "smtps://mail.example.gov.uk?timeout=abc",
        "smtps://mail.example.gov.uk?timeout=0",
        "smtps://mail.example.gov.uk?verify=maybe",
        "smtps://mail.example.gov.uk?tls=off",
    ],
)
def test_parse_smtp_url_rejects(url):
    with pytest.raises(ValueError):
        parse_smtp_url(url)


def test_backend_from_url(tmp_path):
    assert isinstance(backend_from_url(None, tmp_path), PickupDirectoryBackend)
    assert isinstance(backend_from_url("  ", tmp_path), PickupDirectoryBackend)
    assert isinstance(backend_from_url("smtps://mail.example.gov.uk", tmp_path), SmtpBackend)


# ----------------------------------------------------------------------------- pickup


def test_pickup_directory_writes_parsable_eml(tmp_path):
    directory = tmp_path / "outbox" / "new"
    backend = backend_from_url(None, directory)
    msg = make_message()
    backend.send(msg, [SPOC])
    backend.send(make_message(), [SPOC])  # a resend replaces, not duplicates

    files = list(directory.iterdir())
    assert [f.name for f in files] == [
        "5f0c3a8e-0d7b-4c1e-9f3a-7a1b2c3d4e5f_forms.example.gov.uk.eml"
    ]
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == msg["Message-ID"]
    assert parsed["Subject"] == "Referral Request for support \u2013 EH-2025-ABC123"
    contents = sorted(part.get_content() for part in parsed.iter_attachments())
    assert contents == sorted([PDF, DOCX])
