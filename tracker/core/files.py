"""Uploaded files: checked by type and content, stored on disk, described by an Attachment row."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import puremagic
from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from tracker.core import clock
from tracker.core.i18n import _
from tracker.core.models import Attachment

# extension → the extensions content sniffing may report for such a file
ALLOWED: dict[str, set[str]] = {
    "pdf": {"pdf"},
    "docx": {"docx", "xlsx", "pptx", "zip"},
    "xlsx": {"xlsx", "docx", "pptx", "zip"},
    "odt": {"odt", "ods", "zip"},
    "ods": {"ods", "odt", "zip"},
    "doc": {"doc", "xls", "ppt", "msi", "ole"},
    "xls": {"xls", "doc", "ppt", "msi", "ole"},
    "rtf": {"rtf"},
    "jpg": {"jpg", "jpeg", "jfif"},
    "jpeg": {"jpg", "jpeg", "jfif"},
    "png": {"png"},
    "zip": {"zip", "docx", "xlsx", "odt"},
    "txt": set(),
    "csv": set(),
}
TEXT_TYPES = {"txt", "csv"}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "rtf": "application/rtf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "zip": "application/zip",
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}
MAX_FILES = 10


class FileRejected(ValueError):
    """A file that is refused, with a Russian message that says why."""


def extension_of(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def check_content(data: bytes, filename: str) -> str:
    """The file's extension if its content matches it; FileRejected otherwise."""
    ext = extension_of(filename)
    if ext not in ALLOWED:
        allowed = ", ".join(sorted(ALLOWED))
        raise FileRejected(
            _(
                "Файл «%(name)s»: такой тип не принимается. Допустимые типы: %(allowed)s.",
                name=filename,
                allowed=allowed,
            )
        )
    if not data:
        raise FileRejected(_("Файл «%(name)s» пустой.", name=filename))
    if ext in TEXT_TYPES:
        if b"\x00" in data:
            raise FileRejected(_("Файл «%(name)s» не похож на текстовый.", name=filename))
        for encoding in ("utf-8", "cp1251"):
            try:
                data.decode(encoding)
                return ext
            except UnicodeDecodeError:
                continue
        raise FileRejected(
            _("Файл «%(name)s»: текст не в кодировке UTF-8 или Windows-1251.", name=filename)
        )
    try:
        found = {m.extension.lstrip(".").lower() for m in puremagic.magic_string(data)}
    except puremagic.PureError:
        found = set()
    if not found & ALLOWED[ext]:
        raise FileRejected(
            _(
                "Файл «%(name)s» повреждён или его содержимое не соответствует расширению "
                ".%(ext)s.",
                name=filename,
                ext=ext,
            )
        )
    return ext


def max_file_size() -> int:
    return int(current_app.config["TRACKER_MAX_FILE_MB"]) * 1024 * 1024


def read_upload(upload: FileStorage) -> tuple[str, bytes, str]:
    """(safe file name, bytes, extension) of one uploaded file, or FileRejected."""
    return check_file(upload.filename or "", upload.stream.read(max_file_size() + 1))


def check_file(original: str, data: bytes) -> tuple[str, bytes, str]:
    """The checks of an upload on a file from elsewhere (a letter's attachment): name, size,
    type by content. Returns (safe file name, bytes, extension), or raises FileRejected."""
    original = original.strip()
    if not original:
        raise FileRejected(_("Файл без имени."))
    limit = max_file_size()
    if len(data) > limit:
        raise FileRejected(
            _(
                "Файл «%(name)s» больше %(mb)s МБ. Уменьшите его или разделите.",
                name=original,
                mb=limit // (1024 * 1024),
            )
        )
    ext = check_content(data, original)
    # Keep Cyrillic names readable; secure_filename alone would drop them entirely.
    name = original.replace("/", "_").replace("\\", "_").replace("\x00", "")[-200:]
    return name or secure_filename(original), data, ext


def store(
    data: bytes,
    *,
    filename: str,
    ext: str,
    organization_id: int,
    uploaded_by_id: int | None,
    **target: Any,
) -> Attachment:
    """Write the bytes under TRACKER_UPLOAD_DIR and return the (unsaved) Attachment row."""
    key = f"{clock.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"
    path = Path(current_app.config["TRACKER_UPLOAD_DIR"]) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return Attachment(
        organization_id=organization_id,
        filename=filename,
        content_type=CONTENT_TYPES[ext],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
        uploaded_by_id=uploaded_by_id,
        **target,
    )


def path_of(attachment: Attachment) -> Path:
    return Path(current_app.config["TRACKER_UPLOAD_DIR"]) / attachment.storage_key
