"""Delivery channels: e-mail over SMTP, SMS through an HTTP gateway, and a file sink for development."""
