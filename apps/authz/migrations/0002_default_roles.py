"""The global roles every deployment starts with."""

from __future__ import annotations

from typing import Any

from django.db import migrations

ROLES = {
    "user": ("Every signed-in person.", []),
    "staff": (
        "Support staff: may look at users and sessions, and end sessions.",
        ["account.view_users", "authz.view_sessions", "authz.revoke_sessions", "admin.access"],
    ),
    "admin": ("Administrators: every permission.", ["*"]),
}


def create_roles(apps: Any, schema_editor: Any) -> None:
    Role = apps.get_model("authz", "Role")
    for name, (description, permissions) in ROLES.items():
        Role.objects.update_or_create(name=name, defaults={"description": description, "permissions": permissions})


def delete_roles(apps: Any, schema_editor: Any) -> None:
    apps.get_model("authz", "Role").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [("authz", "0001_initial")]
    operations = [migrations.RunPython(create_roles, delete_roles)]
