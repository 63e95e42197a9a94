"""The original letter of a report filed by mail, for those who may see the assignment."""

from flask import Blueprint, abort, send_file
from flask_login import current_user, login_required

from tracker.assignments.models import Assignment
from tracker.core.audit import record_denied
from tracker.core.permissions import get_visible_or_404
from tracker.extensions import db
from tracker.inbound import services
from tracker.inbound.models import InboundMessage

bp = Blueprint("inbound", __name__)


@bp.route("/mail/<int:inbound_id>/letter.eml")
@login_required
def original(inbound_id: int):
    row = db.session.get(InboundMessage, inbound_id)
    if row is None or row.storage_key is None or row.assignment_id is None:
        record_denied(current_user, "inbound_messages", inbound_id, "download")
        abort(404)
    get_visible_or_404(current_user, Assignment, row.assignment_id)
    path = services.original_path(row)
    if not path.is_file():
        abort(404)
    return send_file(
        path, mimetype="message/rfc822", as_attachment=True, download_name=f"letter-{row.id}.eml"
    )


@bp.app_template_global()
def mail_letters_for(assignment: Assignment) -> dict[str, dict[int, InboundMessage]]:
    """Which of the assignment's reports and extension requests came by mail (the page is
    already limited to those who may see the assignment)."""
    return services.letters_for(db.session, assignment)
