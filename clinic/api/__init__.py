"""The REST API under /api/v1, documented at /api/openapi.json and /api/docs."""
