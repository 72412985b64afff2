"""Writing many rows: COPY on PostgreSQL, ``bulk_create`` elsewhere, primary keys known before
the rows are written so that none is read back."""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.utils import timezone

CHUNK = 20_000  # rows per COPY statement
UUID_BATCH = 4096

_uuids: list[str] = []


def random_uuid() -> str:
    """A random (version 4) UUID, as text: what ``str(uuid.uuid4())`` gives, from the same
    source, but drawn from the OS 4,096 at a time. ``uuid4()`` makes a system call and an object
    per id, and the seed needs millions (responses, answers, meetings): a tenth of its time."""
    if not _uuids:
        raw = os.urandom(16 * UUID_BATCH).hex()
        for i in range(0, 32 * UUID_BATCH, 32):
            h = raw[i : i + 32]
            # The version (4) and the variant (binary 10) in their places, as uuid4() sets them.
            variant = "89ab"[int(h[16], 16) & 3]
            _uuids.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}")
    return _uuids.pop()


def _escape(value: str) -> str:
    """A string in COPY's text format."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t")
        value = value.replace("\n", "\\n").replace("\r", "\\r")
    return value


def _converter(model_field: models.Field) -> Callable[[Any], str]:
    if isinstance(model_field, models.BooleanField):
        return lambda v: "t" if v else "f"
    if isinstance(model_field, models.JSONField):
        # Most answers carry an empty list of choices: no need to encode it a million times.
        return lambda v: "[]" if v == [] else _escape(json.dumps(v))
    if isinstance(model_field, models.CharField | models.TextField):
        return _escape
    if isinstance(model_field, models.DateTimeField):
        return datetime.isoformat
    return str


class Writer:
    """Writes rows given as tuples: COPY on PostgreSQL, ``bulk_create`` elsewhere.

    Rows of several tables are buffered side by side and written in any order: Django creates
    foreign keys deferrable, so they are checked at commit, when every row is there."""

    def __init__(self) -> None:
        self.copy = connection.vendor == "postgresql"
        self.sinks: dict[tuple[type[models.Model], str], Sink] = {}
        self._next_id: dict[str, int] = {}
        self._sequences: dict[str, str] = {}
        self.seconds = 0.0  # spent in the database writing rows

    def ids(self, model: type[models.Model], count: int) -> list[int]:
        """``count`` primary keys for new rows, known before writing them."""
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.copy:
                # The sequence looked up once, not once per id (a third of the time at 1M ids).
                if table not in self._sequences:
                    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                    self._sequences[table] = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                    [self._sequences[table], count],
                )
                return sorted(row[0] for row in cursor.fetchall())
            if table not in self._next_id:
                quoted = connection.ops.quote_name(table)
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {quoted}")
                self._next_id[table] = cursor.fetchone()[0]
        start = self._next_id[table]
        self._next_id[table] = start + count
        return list(range(start, start + count))

    def sink(self, model: type[models.Model], columns: str) -> Sink:
        """A buffer of rows of ``model`` with these columns (attribute names). Other columns
        take their field's default, so a field added later does not break the seed. Asked
        again for the same table and columns (by the next organisation), the same buffer: the
        rows of many small organisations go out in a few large batches."""
        if (model, columns) in self.sinks:
            return self.sinks[(model, columns)]
        names = tuple(columns.split())
        defaults = {
            f.attname: _default(f)
            for f in model._meta.concrete_fields
            if f.attname not in names and not f.primary_key
        }
        sink = Sink(self, model, names + tuple(defaults), tuple(defaults.values()))
        self.sinks[(model, columns)] = sink
        return sink

    def flush(self) -> None:
        for sink in self.sinks.values():
            sink.flush()
        # Without sequences, ids are counted on from the largest written: every id drawn is
        # written now, and rows made through the ORM meanwhile may have taken the next ones.
        self._next_id.clear()

    def analyse(self) -> None:
        """Fresh planner statistics of the tables written, on PostgreSQL: what is counted from
        the rows next (survey summaries, weekly totals) would otherwise be planned for the empty
        tables they were, and scan them whole once per organisation. Rows this transaction
        wrote count as there."""
        if not self.copy:
            return
        quote = connection.ops.quote_name
        tables = sorted({sink.model._meta.db_table for sink in self.sinks.values()})
        if not tables:
            return  # ANALYZE without a table would analyse the whole database
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(quote(table) for table in tables)}")

    def write(self, sink: Sink, rows: list[tuple[Any, ...]]) -> None:
        model = sink.model
        if not self.copy:
            objects = [model(**dict(zip(sink.columns, row, strict=True))) for row in rows]
            started = time.perf_counter()
            model._base_manager.bulk_create(objects, batch_size=5000)
            self.seconds += time.perf_counter() - started
            return
        fields = [model._meta.get_field(name) for name in sink.columns]
        convert = [_converter(f) for f in fields]
        lines = [
            "\t".join(["\\N" if v is None else c(v) for c, v in zip(convert, row, strict=True)])
            for row in rows
        ]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.copy_expert(
                f"COPY {table} ({columns}) FROM STDIN", io.StringIO("\n".join(lines) + "\n")
            )
        self.seconds += time.perf_counter() - started


def _default(field: models.Field) -> Any:
    """What a column left out gets: its default; "now" for an ``auto_now`` timestamp, which has
    none (the seed writes rows directly, so ``save()`` never sets it)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    return field.get_default()


class Sink:
    """The buffered rows of one table."""

    def __init__(
        self,
        writer: Writer,
        model: type[models.Model],
        columns: tuple[str, ...],
        defaults: tuple[Any, ...],
    ) -> None:
        self.writer, self.model, self.columns, self.defaults = writer, model, columns, defaults
        self.rows: list[tuple[Any, ...]] = []

    def add(self, *row: Any) -> None:
        self.rows.append(row + self.defaults if self.defaults else row)
        if len(self.rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write(self, self.rows)
            self.rows = []
