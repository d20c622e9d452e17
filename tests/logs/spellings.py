"""The ways a client can spell a secret link that a log reader could still read the token from."""

from urllib.parse import unquote

# Shaped like the real ones: 256 random bits in URL-safe base64, and an itsdangerous signed value.
FEED_TOKEN = "jD3kq9ZxV_2mP-7rT1wYbN4sL8cF0hGuA6eQ5oXiRzU"
RIDE_TOKEN = "eyJhIjoxMiwidSI6ImFiYyJ9.Z3x9qA.Qm9vX3Jd-kEfs_2Lp9TzYw1NcR0"
QUESTIONNAIRE_TOKEN = "Vq8sN2xL0pR7tY4wZ1cB6mH9kJ3fD5gA"
LINKS = (("/feeds/", FEED_TOKEN, ".ics"), ("/ride/", RIDE_TOKEN, ""), ("/q/", QUESTIONNAIRE_TOKEN, ""))
# A run of this many characters of a token in a log line gives part of it away.
TELLING_LENGTH = 8


def _escape(char: str, hex_format: str = "%{:02X}") -> str:
    return hex_format.format(ord(char))


def _escape_the_escape(char: str) -> str:
    """`j` is `%6A`, written here as `%%36A`: decoding once gives `%6A`, twice gives `j`."""
    escape = _escape(char)
    return "%" + _escape(escape[1]) + escape[2]


def spellings(prefix: str, token: str, suffix: str) -> dict[str, str]:
    """Request paths that reach (or look like) the same secret link, by name."""
    path = prefix + token + suffix
    every_other = "".join(_escape(c) if i % 2 else c for i, c in enumerate(token))
    return {
        "as issued": path,
        "upper case": path.upper(),
        "lower case": path.lower(),
        "mixed case prefix and suffix": prefix.title() + token + suffix.swapcase(),
        "without .ics": prefix + token,
        "with .ICS": prefix + token + ".ICS",
        "first character percent-encoded": prefix + _escape(token[0]) + token[1:] + suffix,
        "every character percent-encoded, lower-case hex": prefix
        + "".join(_escape(c, "%{:02x}") for c in token)
        + suffix,
        "every other character percent-encoded": prefix + every_other + suffix,
        "slashes percent-encoded": prefix.replace("/", "%2F") + token + suffix,
        "backslashes": prefix.replace("/", "\\") + token + suffix,
        "backslashes percent-encoded": prefix.replace("/", "%5c") + token + suffix,
        "suffix percent-encoded": prefix + token + suffix.replace(".", "%2E"),
        "doubly encoded": prefix + "".join("%25" + _escape(c)[1:] for c in token) + suffix,
        "escapes with an escaped digit": prefix + "".join(_escape_the_escape(c) for c in token) + suffix,
        "with a query string": path + "?refresh=1",
        "doubled slash": prefix + "/" + token + suffix,
        "dot segment": prefix + "./" + token + suffix,
        "path parameter": prefix + token + ";v=1" + suffix,
        "trailing slash": path + "/",
    }


def _fully_decoded(text: str) -> str:
    for _ in range(len(text)):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def leaked(token: str, text: str) -> list[str]:
    """The runs of the token (any case, after any decoding) that can be read in the text."""
    readable = (text.lower(), _fully_decoded(text).lower())
    secret = token.lower()
    runs = {secret[i : i + TELLING_LENGTH] for i in range(len(secret) - TELLING_LENGTH + 1)}
    return sorted(run for run in runs if any(run in line for line in readable))
