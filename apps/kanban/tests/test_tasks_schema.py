"""Every endpoint of the task part is in the OpenAPI schema with a kanban_* operation id and its errors."""

from __future__ import annotations

from drf_spectacular.generators import SchemaGenerator

from apps.kanban.api import urls_tasks

PREFIX = "/api/v2/kanban/"


def test_task_endpoints_are_documented_with_their_errors() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    paths = schema["paths"]
    documented = 0
    routes = [str(p.pattern) for p in urls_tasks.urlpatterns] + ["boards/<uuid:board_id>"]  # GET is the board read
    for pattern in routes:
        route = PREFIX + pattern.replace("<uuid:", "{").replace(">", "}")
        assert route in paths, route
        for method, operation in paths[route].items():
            if route.endswith("boards/{board_id}") and method != "get":
                continue  # PATCH/DELETE boards/{id} belong to the projects part's tests
            documented += 1
            assert operation["operationId"].startswith("kanban_"), (route, method)
            responses = set(operation["responses"])
            assert {"401", "403", "404", "500"} <= responses, (route, method, responses)
            for status in responses - {"200", "201", "204", "304"}:
                ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/Error"), (route, method, status)
            if method in {"post", "patch"}:
                assert "400" in responses
    assert documented == 19
    tasks = paths[PREFIX + "boards/{board_id}/tasks"]
    assert "409" in tasks["post"]["responses"]  # WIP limit
    assert "412" in paths[PREFIX + "tasks/{task_id}"]["patch"]["responses"]
    assert "412" in paths[PREFIX + "tasks/{task_id}/move"]["post"]["responses"]
    assert "304" in paths[PREFIX + "boards/{board_id}"]["get"]["responses"]
    names = {p["name"] for p in tasks["get"]["parameters"]}
    assert {"q", "column", "assignee", "label", "priority", "due_before", "due_after", "done", "archived"} <= names
