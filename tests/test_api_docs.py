"""The OpenAPI schema and the docs page of /api/v1: every operation documented, its errors and
its auth declared; the interactive page works with no internet access."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
ERROR_SCHEMA = "#/components/schemas/ErrorOut"
VALIDATION_ERROR_SCHEMA = "#/components/schemas/ValidationErrorOut"


@pytest.fixture(scope="module")
def schema():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def api_prefix() -> str:
    return reverse("api:api-root").rstrip("/")  # "/api/v1"


def operations(schema) -> list[tuple[str, str, dict]]:
    """(method, path relative to /api/v1, operation) for every operation of the schema."""
    prefix = api_prefix()
    return [
        (method.upper(), path.removeprefix(prefix), operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def json_schema_ref(response: dict) -> str | None:
    return response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")


def can_be_invalid(operation: dict) -> bool:
    """A body or a query can fail validation; a path that is any string cannot."""
    if operation.get("requestBody"):
        return True
    return any(
        parameter["in"] != "path"
        or parameter.get("schema", {}).get("type") != "string"
        or set(parameter.get("schema", {})) - {"type", "title", "description"}
        for parameter in operation.get("parameters", [])
    )


def bearer_schemes(schema) -> set[str]:
    schemes = schema.get("components", {}).get("securitySchemes", {})
    return {
        name
        for name, scheme in schemes.items()
        if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer"
    }


def failures(schema, check) -> list[str]:
    return [
        f"{method} {path}: {problem}"
        for method, path, operation in operations(schema)
        for problem in check(method, path, operation)
    ]


def test_the_schema_covers_the_staff_auth_endpoints(schema):
    found = {(method, path) for method, path, _ in operations(schema)}

    assert {("POST", "/auth/login"), ("GET", "/users/me")} <= found


def ninja_default_summary(operation: dict) -> bool:
    """Ninja fills a missing summary with the view's name, "Users Me" for `users_me`; the
    default operationId ends with that name."""
    words = operation.get("operationId", "").split("_")
    defaults = {"_".join(words[i:]).title().replace("_", " ") for i in range(len(words))}
    return operation.get("summary") in defaults


def test_every_operation_has_a_summary_and_a_description(schema):
    def check(method, path, operation):
        if not (operation.get("summary") or "").strip() or ninja_default_summary(operation):
            yield "no summary (only the one ninja makes from the function name)"
        if not (operation.get("description") or "").strip():
            yield "no description"

    assert failures(schema, check) == []


def test_every_operation_id_is_unique(schema):
    ids = [operation["operationId"] for _, _, operation in operations(schema)]

    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_every_operation_declares_its_errors_with_the_one_error_shape(schema):
    def check(method, path, operation):
        responses = operation.get("responses", {})
        errors = {code: response for code, response in responses.items() if code.startswith("4")}
        if not errors:
            yield "declares no 4xx response"
        for code, response in errors.items():
            expected = VALIDATION_ERROR_SCHEMA if code == "422" else ERROR_SCHEMA
            if json_schema_ref(response) != expected:
                yield f"{code} is not {expected.rsplit('/', 1)[-1]}"
        if can_be_invalid(operation) and "422" not in errors:
            yield "takes input that can be invalid but declares no 422"
        if operation.get("security") and "401" not in errors:
            yield "needs a token but declares no 401"

    assert failures(schema, check) == []


def test_every_admin_operation_requires_a_bearer_token(schema):
    bearer = bearer_schemes(schema)

    def check(method, path, operation):
        if not path.startswith("/admin/"):
            return
        names = {name for requirement in operation.get("security", []) for name in requirement}
        if not names & bearer:
            yield "does not declare the bearer security"

    assert bearer, "no bearer security scheme in the schema"
    assert failures(schema, check) == []


def test_users_me_requires_a_bearer_token_and_login_does_not(schema):
    by_route = {(method, path): operation for method, path, operation in operations(schema)}

    assert by_route[("GET", "/users/me")]["security"] == [{"JWTAuth": []}]
    assert "security" not in by_route[("POST", "/auth/login")]


def test_the_bearer_scheme_says_it_is_a_jwt_and_where_to_get_one(schema):
    scheme = schema["components"]["securitySchemes"]["JWTAuth"]

    assert scheme["bearerFormat"] == "JWT"
    assert "/auth/login" in scheme["description"]


def test_the_login_operation_shows_the_seed_examples(schema):
    login = schema["paths"][api_prefix() + "/auth/login"]["post"]

    body = login["requestBody"]["content"]["application/json"]["examples"]["staff"]["value"]
    token = login["responses"]["200"]["content"]["application/json"]["examples"]["token"]["value"]
    assert set(body) == {"email", "password"}
    assert token["token_type"] == "bearer"


# --- the interactive docs page -----------------------------------------------------------------


class Links(HTMLParser):
    """Every URL a page makes the browser load: src and href attributes."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_the_docs_page_renders_without_any_outside_host(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    page = response.content.decode()
    links = Links()
    links.feed(page)
    assert links.urls, "the page loads no Swagger UI at all"
    assert [url for url in links.urls if not url.startswith("/")] == []
    assert re.findall(r"(?:https?:)?//[\w.-]+", page) == []


def test_every_file_the_docs_page_loads_is_served(client):
    links = Links()
    links.feed(client.get("/api/v1/docs").content.decode())

    for url in links.urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content), url


def test_the_docs_page_points_swagger_ui_at_the_schema_and_off_the_online_validator(client):
    page = client.get("/api/v1/docs").content.decode()

    assert '"url": "/api/v1/openapi.json"' in page
    assert '"validatorUrl": null' in page


@pytest.mark.parametrize("name", ["swagger-ui-bundle.js.map", "redoc.standalone.js", "conf.py"])
def test_the_docs_serve_only_their_own_files(client, name):
    response = client.get(f"/api/v1/docs/assets/{name}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_docs_serve_nothing_outside_their_folder(client):
    assert client.get("/api/v1/docs/assets/..%2F__init__.py").status_code == 404
