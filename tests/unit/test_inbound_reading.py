"""Reading replies: the new text only, the files, robots, and requests for more time."""

from datetime import date
from email.message import EmailMessage

import pytest

from tracker.inbound.reading import extension_request, read_letter

PDF = b"%PDF-1.4\n% report\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def letter(body: str, *, html: str | None = None, subject="Re: Напоминание", **headers) -> bytes:
    message = EmailMessage()
    message["From"] = headers.pop("sender", "Иванова А. А. <Director@School3.ru>")
    message["To"] = "reply+1-2-3-abcdefghijklmnop@otvet.uo.test"
    message["Subject"] = subject
    message["Message-ID"] = headers.pop("message_id", "<reply-1@school3.ru>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if body is not None:
        message.set_content(body)
    if html is not None:
        if body is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    return message


def test_thunderbird_reply_loses_quote_and_signature():
    raw = letter(
        "Антирисковая программа утверждена приказом от 20.02.2023 № 47.\n"
        "Приказ во вложении.\n\n"
        "С уважением,\nдиректор МОУ «Средняя школа № 3»\nИванова А. А.\n\n"
        "24.02.2023 9:00, Контроль поручений пишет:\n"
        "> Здравствуйте!\n> Через 3 дня срок поручения: п. 2\n"
    ).as_bytes()
    read = read_letter(raw)
    assert read.text == (
        "Антирисковая программа утверждена приказом от 20.02.2023 № 47.\nПриказ во вложении."
    )
    assert read.sender == "director@school3.ru"
    assert read.message_id == "<reply-1@school3.ru>"
    assert read.robot is None


@pytest.mark.parametrize(
    "history",
    [
        "-----Original Message-----\nFrom: Контроль\nSent: Friday\nSubject: Напоминание\n\nтекст",
        "-----Исходное сообщение-----\nОт: Контроль\nОтправлено: 24.02.2023\nТема: Напоминание",
        "От: Контроль поручений <noreply@uo.test>\nОтправлено: 24 февраля 2023 г. 9:00\n"
        "Кому: Иванова\nТема: Напоминание\n\nтекст",
        "пт, 24 февр. 2023 г. в 09:00, Контроль поручений <reply+x@otvet.uo.test>:\n> текст",
        "Пятница, 24 февраля 2023, 9:00 +03:00 от Контроль <reply+x@otvet.uo.test>:\n> текст",
    ],
)
def test_outlook_gmail_yandex_and_mailru_histories_are_cut(history):
    read = read_letter(letter(f"Сделано, отчёт во вложении.\n\n{history}\n").as_bytes())
    assert read.text == "Сделано, отчёт во вложении."


def test_mobile_signature_is_cut():
    read = read_letter(letter("Выполнено.\n\nОтправлено из мобильной Почты Mail.ru\n").as_bytes())
    assert read.text == "Выполнено."


def test_html_only_letter_becomes_text_without_the_quote():
    html = (
        "<div dir='ltr'><p>Программа <b>утверждена</b>.</p><p>Размещена на сайте.</p></div>"
        "<div class='gmail_quote'><div>пт, 24 февр. 2023 г. в 09:00, Контроль поручений "
        "&lt;reply+x@otvet.uo.test&gt;:</div><blockquote>Через 3 дня срок поручения</blockquote>"
        "</div>"
    )
    read = read_letter(letter(None, html=html).as_bytes())
    assert "Программа утверждена." in read.text
    assert "Размещена на сайте." in read.text
    assert "Через 3 дня" not in read.text and "<" not in read.text


def test_files_are_attachments_not_embedded_logos():
    message = letter("Отчёт во вложении.", html="<p>Отчёт во вложении.</p><img src='cid:logo'>")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="Приказ № 47.pdf")
    html_part = message.get_body(preferencelist=("html",))
    html_part.add_related(PNG, maintype="image", subtype="png", cid="<logo>", filename="logo.png")
    read = read_letter(message.as_bytes())
    assert [(f.filename, f.data) for f in read.files] == [("Приказ № 47.pdf", PDF)]


@pytest.mark.parametrize(
    ("headers", "subject"),
    [
        ({"Auto_Submitted": "auto-replied"}, "Re: Напоминание"),
        ({"X_Autoreply": "yes"}, "Re: Напоминание"),
        ({"Precedence": "bulk"}, "Re: Напоминание"),
        ({}, "Автоответ: Напоминание"),
        ({}, "Автоматический ответ: Напоминание"),
        ({}, "Out of Office: Напоминание"),
        ({"sender": "MAILER-DAEMON@mx.school3.ru"}, "Undelivered Mail Returned to Sender"),
    ],
)
def test_robots_are_recognised(headers, subject):
    raw = letter("Я в отпуске до 10 марта.", subject=subject, **headers).as_bytes()
    assert read_letter(raw).robot


def test_bounce_by_report_type_or_empty_envelope_sender():
    message = letter("Delivery failed")
    message.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    assert read_letter(message.as_bytes()).robot == "bounce"
    for null in ("", "<>"):
        assert read_letter(letter("Сделано").as_bytes(), envelope_sender=null).robot == "bounce"
    assert read_letter(letter("Сделано").as_bytes(), envelope_sender="a@b.ru").robot is None


def test_letter_without_message_id_is_known_by_its_content():
    message = letter("Сделано")
    del message["Message-ID"]
    first, second = read_letter(message.as_bytes()), read_letter(message.as_bytes())
    assert first.message_id.startswith("sha256:") and first.message_id == second.message_id


def test_references_and_recipients():
    raw = letter(
        "Сделано",
        In_Reply_To="<abc.1-2-3-x@uo.test>",
        References="<first@uo.test> <abc.1-2-3-x@uo.test>",
        Cc="Завуч <zavuch@school3.ru>",
    ).as_bytes()
    read = read_letter(raw, ["reply@otvet.uo.test"])
    assert read.references == ["<abc.1-2-3-x@uo.test>", "<first@uo.test>", "<abc.1-2-3-x@uo.test>"]
    assert read.recipients[0] == "reply@otvet.uo.test"
    assert "zavuch@school3.ru" in read.recipients


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("Прошу перенести срок до 15.03.2024\nВ связи с болезнью.", date(2024, 2, 1), "2024-03-15"),
        ("Просим продлить срок на 20.03.2024", date(2024, 2, 1), "2024-03-20"),
        ("продлить до конца марта", date(2024, 2, 1), "2024-03-31"),
        ("Прошу продлить до конца марта", date(2024, 12, 10), "2025-03-31"),
        ("Прошу перенести срок исполнения до 1 апреля", date(2024, 2, 1), "2024-04-01"),
    ],
)
def test_first_line_asking_for_time_gives_the_date(text, today, expected):
    asks, deadline = extension_request(text, today)
    assert asks and deadline is not None
    assert deadline.due_date.isoformat() == expected


def test_a_report_is_not_an_extension_and_an_unreadable_date_is_noticed():
    assert extension_request("Программа утверждена.\nПрошу перенести срок", date(2024, 2, 1)) == (
        False,
        None,
    )
    assert extension_request("Прошу перенести срок, не успеваем", date(2024, 2, 1)) == (True, None)


def test_a_reply_with_nothing_new_has_no_text():
    raw = letter(
        "\n\n20.02.2023 9:30, Контроль поручений пишет:\n> Через 7 дней срок поручения\n"
    ).as_bytes()
    assert read_letter(raw).text == ""
