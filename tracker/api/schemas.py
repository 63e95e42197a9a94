"""Marshmallow schemas: they validate requests, shape answers and feed the OpenAPI document."""

from marshmallow import Schema, fields, validate


class OrganizationSchema(Schema):
    id = fields.Int(dump_only=True)
    parent_id = fields.Int(allow_none=True)
    kind = fields.Str()
    short_name = fields.Str()
    full_name = fields.Str()
    municipality = fields.Str(allow_none=True)
    email = fields.Str(allow_none=True)
    timezone = fields.Str()


class OrganizationQuerySchema(Schema):
    q = fields.Str(load_default=None, metadata={"description": "Часть наименования"})
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=500))


class MembershipSchema(Schema):
    organization_id = fields.Int()
    organization = fields.Function(lambda m: m.organization.short_name)
    role = fields.Str()


class MeSchema(Schema):
    id = fields.Int()
    email = fields.Str()
    full_name = fields.Str()
    position = fields.Str(allow_none=True)
    memberships = fields.List(fields.Nested(MembershipSchema))


class ErrorSchema(Schema):
    code = fields.Int()
    status = fields.Str()
    message = fields.Str()
    errors = fields.Dict()
