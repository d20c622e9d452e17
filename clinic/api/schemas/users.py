import marshmallow as ma
from marshmallow import validate

from clinic.api.schemas.fields import DatabaseId
from clinic.models.user import ROLES


class UserLoadSchema(ma.Schema):
    email = ma.fields.Email(required=True)
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(max=1024))
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))
    provider_id = DatabaseId(allow_none=True, strict=True)


class UserUpdateSchema(ma.Schema):
    password = ma.fields.String(load_only=True, validate=validate.Length(max=1024))
    role = ma.fields.String(validate=validate.OneOf(ROLES))
    provider_id = DatabaseId(allow_none=True, strict=True)
    active = ma.fields.Boolean()


class UserDumpSchema(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.String()
    role = ma.fields.String()
    provider_id = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()
    last_login_at = ma.fields.AwareDateTime(allow_none=True)


class TokenRequestSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))


class TokenDumpSchema(ma.Schema):
    token = ma.fields.String()
    token_type = ma.fields.String()
    expires_at = ma.fields.AwareDateTime()


user_load_schema = UserLoadSchema()
user_update_schema = UserUpdateSchema()
user_dump_schema = UserDumpSchema()
token_request_schema = TokenRequestSchema()
token_dump_schema = TokenDumpSchema()
users_dump_schema = UserDumpSchema(many=True)
