"""API resources. Every listing goes through the same permission filter as the pages."""

from flask import g
from flask_smorest import Blueprint

from tracker.api import authenticate_request
from tracker.api.schemas import MeSchema, OrganizationQuerySchema, OrganizationSchema
from tracker.extensions import db
from tracker.orgs.services import search_organizations

blp = Blueprint("api", __name__, url_prefix="/api/v1", description="API v1")
blp.before_request(authenticate_request)


@blp.route("/me")
@blp.response(200, MeSchema)
@blp.alt_response(401, description="Нет или недействительный токен")
def me():
    """The user the token belongs to, with their roles."""
    return g.api_user


@blp.route("/organizations")
@blp.arguments(OrganizationQuerySchema, location="query")
@blp.response(200, OrganizationSchema(many=True))
@blp.alt_response(401, description="Нет или недействительный токен")
def organizations(args):
    """Organizations visible to the user, optionally filtered by part of the name."""
    return search_organizations(db.session, g.api_user, args["q"], args["limit"])
