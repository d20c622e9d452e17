"""The error of an invalid protocol, shared by clinic.domain.protocols and the rules it is made of."""


class ProtocolError(ValueError):
    """An unknown protocol, a bad parameter or an inconsistent protocol definition."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
