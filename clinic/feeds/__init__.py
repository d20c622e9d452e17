"""GET /feeds/<token>.ics: calendar subscription feeds."""
