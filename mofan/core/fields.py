"""Model fields for data encrypted at rest (mofan/core/crypto.py has the algorithms).

`EncryptedCharField` behaves like a CharField in Python and in forms (max_length and validators
apply to the plaintext) and stores an SM4-GCM token in a text column, bound to its table and
column. The empty string is stored as it is (it says that no value was given, nothing more);
NULL stays NULL. Ciphertexts cannot be compared, so the field supports no lookup but `isnull`:
a query on it raises FieldError instead of silently matching nothing.

`BlindIndexField(source=...)` keeps the HMAC-SM3 digest of another field's normalised value, so
a full value can be found with an indexed equality query (`digest_of` gives the digest to look
for). It is recomputed in `pre_save`, which `save()` and `bulk_create()` both call; models with
such a field use `BlindIndexQuerySet` and `BlindIndexModelMixin` so that `update()`,
`bulk_update()` and `save(update_fields=...)` keep it in step too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import IsNull

from mofan.core import crypto


class EncryptedCharField(models.CharField):
    description = "Text encrypted with SM4-GCM (国密), bound to its table and column"

    def get_internal_type(self) -> str:
        # Stored as text: the token is longer than max_length, which limits the plaintext.
        return "TextField"

    @property
    def crypto_context(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        if value is None or value == "":
            return value
        return crypto.decrypt_text(value, context=self.crypto_context)

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        if value is None or value == "":
            return value
        return crypto.encrypt_text(str(value), context=self.crypto_context)

    def get_lookup(self, lookup_name: str) -> Any:
        return IsNull if lookup_name == "isnull" else None

    def get_transform(self, name: str) -> Any:
        return None


class BlindIndexField(models.CharField):
    description = "HMAC-SM3 blind index of another field"

    def __init__(self, *args: Any, source: str, normalize: str = "exact", **kwargs: Any) -> None:
        if normalize not in crypto.NORMALIZERS:
            raise ValueError(f"unknown normalisation {normalize!r}")
        self.source = source
        self.normalize = normalize
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["normalize"] = self.normalize
        return name, path, args, kwargs

    @property
    def purpose(self) -> str:
        return f"{self.model._meta.db_table}.{self.source}"

    def digest_of(self, value: Any) -> str:
        """The digest stored for a source value ("" for an empty one)."""
        normalized = crypto.NORMALIZERS[self.normalize]("" if value is None else str(value))
        if not normalized:
            return ""
        return crypto.blind_index(normalized, purpose=self.purpose)

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = self.digest_of(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def blind_index_fields(model: type[models.Model]) -> list[BlindIndexField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]


def with_blind_indexes(model: type[models.Model], fields: Iterable[str]) -> list[str]:
    names = list(fields)
    for index in blind_index_fields(model):
        if index.source in names and index.name not in names:
            names.append(index.name)
    return names


class BlindIndexQuerySet(models.QuerySet):
    """Keeps blind indexes in step on the set-wise write paths that skip `pre_save`."""

    def update(self, **kwargs: Any) -> int:
        for index in blind_index_fields(self.model):
            if index.source in kwargs and index.name not in kwargs:
                value = kwargs[index.source]
                if not (value is None or isinstance(value, str)):
                    raise TypeError(
                        f"{index.source} has a blind index: update it with a plain value"
                    )
                kwargs[index.name] = index.digest_of(value)
        return super().update(**kwargs)

    def bulk_update(
        self, objs: Iterable[models.Model], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        objs = list(objs)
        names = with_blind_indexes(self.model, fields)
        for index in blind_index_fields(self.model):
            if index.name in names and index.source in names:
                for obj in objs:
                    index.pre_save(obj, False)
        return super().bulk_update(objs, names, batch_size=batch_size)


class BlindIndexModelMixin(models.Model):
    """`save(update_fields=[source])` also writes the source's blind index."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = with_blind_indexes(type(self), update_fields)
        super().save(*args, **kwargs)


# --- migrations: encrypting existing rows in place ------------------------------------------------


def encrypt_in_place(
    app_label: str, model_name: str, field_name: str, *, digest_field: str | None = None
) -> Any:
    """A reversible RunPython operation for a migration that turned `field_name` into an
    EncryptedCharField: encrypts the plain values left in the column (and fills the blind index
    `digest_field`, if given); backwards, decrypts them again. Works on the raw column, so it
    does not depend on how the model's fields read and write."""
    from django.db import migrations

    def columns(apps: Any) -> tuple[str, str, str, BlindIndexField | None]:
        model = apps.get_model(app_label, model_name)
        field = model._meta.get_field(field_name)
        index = model._meta.get_field(digest_field) if digest_field else None
        return model._meta.db_table, model._meta.pk.column, field.column, index

    def rewrite(apps: Any, schema_editor: Any, *, forward: bool) -> None:
        table, pk, column, index = columns(apps)
        connection = schema_editor.connection
        quote = connection.ops.quote_name
        context = f"{table}.{column}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote(pk)}, {quote(column)} FROM {quote(table)} "  # noqa: S608
                f"WHERE {quote(column)} IS NOT NULL AND {quote(column)} <> ''"
            )
            rows = cursor.fetchall()
        updates: list[tuple[Any, ...]] = []
        for key, value in rows:
            if forward:
                if crypto.is_token(value):
                    continue
                new = crypto.encrypt_text(value, context=context)
                plain = value
            else:
                if not crypto.is_token(value):
                    continue
                new = plain = crypto.decrypt_text(value, context=context)
            if index is not None:
                updates.append((new, index.digest_of(plain) if forward else "", key))
            else:
                updates.append((new, key))
        if not updates:
            return
        sets = f"{quote(column)} = %s"
        if index is not None:
            sets += f", {quote(index.column)} = %s"
        sql = f"UPDATE {quote(table)} SET {sets} WHERE {quote(pk)} = %s"  # noqa: S608
        with connection.cursor() as cursor:
            for start in range(0, len(updates), 1000):
                cursor.executemany(sql, updates[start : start + 1000])

    def forwards(apps: Any, schema_editor: Any) -> None:
        rewrite(apps, schema_editor, forward=True)

    def backwards(apps: Any, schema_editor: Any) -> None:
        rewrite(apps, schema_editor, forward=False)

    return migrations.RunPython(forwards, backwards)
