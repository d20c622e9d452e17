"""Loading rows by id with a clear error naming what was not found."""

from typing import TypeVar

from clinic.extensions import db
from clinic.services.errors import Invalid, NotFound

ModelT = TypeVar("ModelT")


def get_or_404(model: type[ModelT], object_id: int, label: str) -> ModelT:
    """The row with this id, or NotFound naming the kind of object."""
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound(f"No {label} with id {object_id}")
    return obj


def get_referenced(model: type[ModelT], object_id: int, field: str) -> ModelT:
    """The row a request body refers to, or Invalid naming the body field that refers to it."""
    obj = db.session.get(model, object_id)
    if obj is None:
        raise Invalid.field(field, f"No such record: {object_id}")
    return obj
