"""Development channel: every message appended as one JSON line under instance/outbox/."""

import json
from pathlib import Path

from clinic.notify.base import OutgoingMessage


class FileSinkChannel:
    def __init__(self, directory: Path, channel: str) -> None:
        self.path = directory / f"{channel}.jsonl"
        directory.mkdir(parents=True, exist_ok=True)

    def send(self, message: OutgoingMessage) -> None:
        record = {
            "to": message.to,
            "subject": message.subject,
            "text": message.text,
            "idempotency_key": message.idempotency_key,
        }
        with self.path.open("a", encoding="utf-8") as sink:
            sink.write(json.dumps(record) + "\n")

    def close(self) -> None:
        pass
