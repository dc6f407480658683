"""The API's contract is published: every answer has a schema, and the IVR's fields are in it."""

from __future__ import annotations

from api.app import create_app


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _described(spec: dict, schema: dict) -> bool:
    """An object with properties, a list of such objects, or a choice between them."""
    schema = _resolve(spec, schema)
    if "anyOf" in schema:
        return all(_described(spec, s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return _described(spec, schema["items"])
    return schema.get("type") == "object" and bool(schema.get("properties"))


def test_every_success_answer_has_a_schema(tmp_path):
    app = create_app(f"sqlite:///{tmp_path}/h.db")
    spec = app.openapi()
    seen = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            answers = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
            assert answers, f"{method.upper()} {path} declares no success answer"
            for code, answer in answers.items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                assert _described(spec, schema), f"{method.upper()} {path} {code}: {schema}"
                seen += 1
    assert seen >= 19  # every route of /api/v1


def test_the_balance_schema_names_what_the_ivr_reads(tmp_path):
    spec = create_app(f"sqlite:///{tmp_path}/h.db").openapi()
    balance = spec["components"]["schemas"]["Balance"]
    assert {"closing", "paid_since", "due_now", "lines", "last_payment"} <= set(balance["properties"])
    hours = spec["components"]["schemas"]["OpeningHours"]
    assert "break" in hours["properties"]  # the JSON name, not the Python one


def test_refusals_are_documented_with_the_shape_they_have(tmp_path):
    """`{"detail": {"reason", "message", …}}` — not FastAPI's default 422 list, which we never send."""
    spec = create_app(f"sqlite:///{tmp_path}/h.db").openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for code in ("401", "422", "503"):
                schema = operation["responses"][code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, f"{method} {path} {code}"
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert {"reason", "message"} <= set(detail["required"])
