"""URL converters: an `<int:...>` id in a path is a row id, 1 .. 2^31-1; anything larger is simply unknown."""

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """`int` in every route: a number too large to be a row id does not match, so the answer is 404 on every
    backend (SQLite cannot even compare integers above 2^63)."""

    def __init__(
        self,
        url_map,
        fixed_digits: int = 0,
        min: int | None = 1,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
