"""API: read a protocol (text or file) into a draft, as the import page does; creates nothing."""

from __future__ import annotations

from typing import Any

from flask import abort, g, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import ValidationError

from tracker.api import authenticate_request
from tracker.api.schemas import ProtocolParseSchema, ProtocolReadingSchema, ProtocolUploadSchema
from tracker.core.permissions import get_visible_or_404, require
from tracker.core.tenancy import Organization
from tracker.extensions import db
from tracker.protocols import services
from tracker.protocols.text import MAX_BYTES, ProtocolInputError, extract_text

blp = Blueprint("api_protocols", __name__, url_prefix="/api/v1", description="Чтение протоколов")
blp.before_request(authenticate_request)


@blp.route("/protocols/parse", methods=["POST"])
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "application/json": {"schema": ProtocolParseSchema},
            "multipart/form-data": {"schema": ProtocolUploadSchema},
        },
    }
)
@blp.response(200, ProtocolReadingSchema)
@blp.alt_response(401, description="Нет или недействительный токен")
@blp.alt_response(403, description="Нет прав на совещания этого органа управления образованием")
@blp.alt_response(404, description="Организация не найдена или не видна пользователю")
@blp.alt_response(422, description="Текст или файл не читается; сообщение говорит, что сделать")
def parse():
    """Read a protocol into a draft: header, attendees, agenda, decisions with executors matched
    against the department's directory, and warnings. Nothing is created.

    JSON `{organization_id, text}` or multipart/form-data with `organization_id` and `file`
    (.docx, .odt, .txt)."""
    organization_id, text = _input()
    department = get_visible_or_404(g.api_user, Organization, organization_id)
    require(g.api_user, "meeting.manage", department)
    if department.kind != "department":
        abort(422, description=_("Укажите орган управления образованием (отдел, управление)."))
    if text is None:
        upload = request.files["file"]
        try:
            text = extract_text(upload.filename or "", upload.read(MAX_BYTES + 1))
        except ProtocolInputError as error:
            abort(422, description=str(error))
    elif not text.strip():
        abort(422, description=_("Текст протокола пуст."))
    elif len(text.encode("utf-8")) > MAX_BYTES:
        abort(422, description=_("Текст больше %(mb)s МБ.", mb=MAX_BYTES // (1024 * 1024)))
    return services.read(db.session, department, text)


def _input() -> tuple[int, str | None]:
    """(organization_id, text); text None means: read the uploaded file."""
    if request.mimetype == "multipart/form-data":
        payload: Any = {"organization_id": request.form.get("organization_id")}
        if "file" not in request.files or not request.files["file"].filename:
            abort(422, description=_("Приложите файл протокола (поле file): .docx, .odt или .txt."))
        schema = ProtocolUploadSchema(only=("organization_id",))
    else:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            abort(422, description=_("Ожидается JSON {organization_id, text} или файл в file."))
        schema = ProtocolParseSchema()
    try:
        data = schema.load(payload)
    except ValidationError as error:
        abort(422, description=_first_message(error.messages))
    return data["organization_id"], data.get("text")


def _first_message(messages: Any) -> str:
    names = {
        "organization_id": _("organization_id: укажите id органа управления образованием"),
        "text": _("text: вставьте текст протокола"),
    }
    if isinstance(messages, dict):
        for key in messages:
            if key in names:
                return names[key]
    return _("Проверьте поля запроса: organization_id и text (или file).")
