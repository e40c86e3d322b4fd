"""Encrypt TOTP secrets at rest: add ``secret_encrypted``, seal every existing secret, drop ``secret``."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

from gau import crypto

_SALT = b"gau.account"
_INFO = b"totp-secret"  # must match apps.account.mfa (kept literal: migrations do not import app code)


def seal_existing(apps: Any, schema_editor: Any) -> None:
    device_model = apps.get_model("account", "TotpDevice")
    for device in device_model.objects.using(schema_editor.connection.alias).all():
        device.secret_encrypted = crypto.encrypt(device.secret.encode("ascii"), salt=_SALT, info=_INFO).decode()
        device.save(update_fields=["secret_encrypted"])


def open_existing(apps: Any, schema_editor: Any) -> None:
    device_model = apps.get_model("account", "TotpDevice")
    for device in device_model.objects.using(schema_editor.connection.alias).all():
        device.secret = crypto.decrypt(device.secret_encrypted.encode("ascii"), salt=_SALT, info=_INFO).decode()
        device.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [("account", "0002_tokens_mfa_identities")]

    operations = [
        migrations.AddField(
            model_name="totpdevice", name="secret_encrypted", field=models.TextField(default=""), preserve_default=False
        ),
        migrations.AlterField(model_name="totpdevice", name="secret", field=models.CharField(max_length=64, default="")),
        migrations.RunPython(seal_existing, open_existing),
        migrations.RemoveField(model_name="totpdevice", name="secret"),
    ]
