"""The embedded broker: kombu's filesystem transport, with files that appear whole.

kombu's filesystem transport creates a message file and only then writes it, and its consumers
read without a lock, so a worker can take an empty or half-written message and fail on it
(``JSONDecodeError``, kombu issue #1551). Its exchange table is truncated before it is rewritten,
with the same effect on a producer reading it. Seen here: a fresh clone's test run failed once
that way in a real worker.

Here every file appears whole: it is written under a name no reader looks for, in the same
folder, then renamed into place (a rename within one filesystem is atomic). A consumer claims a
message by renaming it into a folder of its own on the same filesystem, so two consumers never
both take one (kombu moves it to the system's temporary folder, which may be another filesystem,
where a move is a copy). Writers of an exchange table take turns on a lock file. A consumer
killed between its claim and its read leaves the message in ``.claimed/``, as kombu's leaves it
in the temporary folder; the dispatchers, which scan the database, send what it was for on their
next tick.

It answers ``filesystem://`` URLs (registered in ``mentorship.celery``), the broker used when
no ``REDIS_URL`` is set.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem, virtual
from kombu.transport.filesystem import LOCK_EX, exchange_queue_t, lock, unlock
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

# Claimed messages wait here, inside the data folder, between the claim and the read.
CLAIMED_FOLDER = ".claimed"

Queues = list[exchange_queue_t]


def write_whole(folder: Path, name: str, data: bytes) -> None:
    """Write ``folder/name`` so that a reader finds it complete or not at all.

    The temporary name starts with a dot and ends in ``.tmp``: the consumers look only for
    ``<anything>.<queue>.msg``, and nobody opens it by name."""
    temporary = folder / f".{uuid.uuid4().hex}.tmp"
    try:
        with open(temporary, "wb") as file:
            file.write(data)
        os.replace(temporary, folder / name)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:
        """Put ``payload`` on ``queue``: one whole file, named so that files sort in order."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        try:
            write_whole(Path(self.data_folder_out), name, str_to_bytes(dumps(payload)))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc

    def _get(self, queue: str) -> dict[str, Any]:
        """Take the oldest message of ``queue``; the rename is the claim."""
        wanted = f"{queue}.msg"
        folder = Path(self.data_folder_in)
        claimed_folder = folder / CLAIMED_FOLDER
        for name in sorted(os.listdir(folder)):
            if name.partition(".")[2] != wanted:
                continue
            # Only once there is something to take: an empty poll (most of them) lists the
            # folder and nothing more.
            claimed_folder.mkdir(exist_ok=True)
            claimed = claimed_folder / f"{uuid.uuid4().hex}-{name}"
            try:
                os.rename(folder / name, claimed)
            except OSError:
                continue  # another consumer claimed it first
            try:
                payload = claimed.read_bytes()
                if self.store_processed:
                    shutil.move(claimed, Path(self.processed_folder) / name)
                else:
                    claimed.unlink()
            except OSError as exc:
                raise ChannelError(f"Cannot read file {name!r} from queue.") from exc
            return loads(bytes_to_str(payload))
        raise Empty()

    def _update_table(self, exchange: str, change: Callable[[Queues], Queues | None]) -> None:
        """Rewrite an exchange's table (``change`` returns the new one, or None to keep it):
        writers take turns on a lock file; readers see the old table or the new one, whole."""
        file = self._exchange_file(exchange)
        self.control_folder.mkdir(exist_ok=True)
        try:
            with open(file.with_name(f"{file.name}.lock"), "ab") as guard:
                lock(guard, LOCK_EX)
                try:
                    try:
                        queues = [
                            exchange_queue_t(*q) for q in loads(bytes_to_str(file.read_bytes()))
                        ]
                    except FileNotFoundError:
                        queues = []
                    updated = change(queues)
                    if updated is not None:
                        write_whole(self.control_folder, file.name, str_to_bytes(dumps(updated)))
                finally:
                    unlock(guard)
        except OSError as exc:
            raise ChannelError(f"Cannot open {file}") from exc

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        binding = exchange_queue_t(routing_key or "", pattern or "", queue or "")
        self._update_table(
            exchange, lambda queues: None if binding in queues else [binding, *queues]
        )

    def _delete(
        self, queue: str, exchange: str, routing_key: str, pattern: str, *args: Any, **kwargs: Any
    ) -> None:
        # The virtual channel's own bookkeeping (kombu's filesystem _delete, less its rewrite).
        virtual.Channel._delete(self, queue, exchange, routing_key, pattern, *args, **kwargs)
        binding = exchange_queue_t(routing_key or "", pattern or "", queue or "")
        self._update_table(
            exchange,
            lambda queues: [q for q in queues if q != binding] if binding in queues else None,
        )


class Transport(filesystem.Transport):
    Channel = Channel
