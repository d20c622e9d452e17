"""Phone numbers typed into forms, normalised to E.164 as the API does."""

import phonenumbers


def to_e164(text: str | None, default_region: str = "US") -> str | None:
    """The number in E.164, or None when it is not a valid phone number. A number without a country
    code is read in `default_region` (people type local numbers into forms)."""
    if not text or not text.strip():
        return None
    try:
        number = phonenumbers.parse(text.strip(), default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str:
    """A stored E.164 number written the way people read it (``+1 617-555-0100``)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
