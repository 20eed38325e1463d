//! The OpenAPI document (`src/api/openapi.json`) checked both ways against
//! the server:
//!
//! * every route of the JSON API (`src/api/mod.rs`) is documented, and every
//!   documented path is routed (`platform::every_path_of_the_openapi_document_is_served`);
//! * every JSON answer the tests receive through the harness
//!   ([`crate::helpers::TestApp::raw`]) is checked against the documented
//!   response for its method, path template and status: the status must be
//!   documented, the content type too, and the body must match the schema.
//!
//! The schema check is a small validator of the JSON Schema the document
//! uses — `type` (a name or a list, "null" included), `nullable`, `$ref`
//! to `#/components/schemas`, `properties`, `required`, `items`, `enum`,
//! `const`, `oneOf`/`anyOf`/`allOf`, `minimum`/`maximum`,
//! `minLength`/`maxLength` — and one rule stricter than JSON Schema: an
//! object whose schema lists `properties` (and says nothing of
//! `additionalProperties`) may not carry a property the document does not
//! name, so a field added to an answer is added to the document too.

use serde_json::Value;
use std::sync::LazyLock;

static DOC: LazyLock<Value> = LazyLock::new(|| serde_json::from_str(zhunong::api::OPENAPI).expect("the OpenAPI document is JSON"));

/// The documented operation for `method` and a request path: the path
/// template that matches with the most literal segments.
fn operation(method: &str, path: &str) -> Option<(&'static str, &'static Value)> {
    let segments: Vec<&str> = path.split('?').next().unwrap_or("").split('/').collect();
    let paths = DOC["paths"].as_object()?;
    paths
        .iter()
        .filter_map(|(template, ops)| {
            let t: Vec<&str> = template.split('/').collect();
            let fits = t.len() == segments.len() && t.iter().zip(&segments).all(|(a, b)| a == b || (a.starts_with('{') && !b.is_empty()));
            let literal = t.iter().filter(|s| !s.starts_with('{')).count();
            let op = ops.get(method.to_ascii_lowercase())?;
            fits.then_some((literal, template.as_str(), op))
        })
        .max_by_key(|(literal, _, _)| *literal)
        .map(|(_, template, op)| (template, op))
}

/// Checks one answer against the document. Answers to paths and methods
/// it does not name (the pages; the router's own 404 and 405, which the
/// tests of those cases look at) pass; so does a body other than JSON once
/// its content type is the documented one.
pub fn check(method: &str, path: &str, status: u16, content_type: &str, body: &str) -> Result<(), String> {
    let Some((template, op)) = operation(method, path) else { return Ok(()) };
    let what = format!("{method} {template} → {status}");
    let Some(response) = op["responses"].get(status.to_string()).or_else(|| op["responses"].get("default")) else {
        return Err(format!("{what}: this status is not documented"));
    };
    let media = content_type.split(';').next().unwrap_or("").trim();
    let json = media == "application/json" || media.ends_with("+json");
    let content = response.get("content").and_then(Value::as_object);
    if body.is_empty() {
        return Ok(());
    }
    let Some(content) = content else {
        return Err(format!("{what}: documented without a body, answered {media}"));
    };
    let Some(documented) = content.get(media) else {
        return Err(format!("{what}: answered {media}, documented {:?}", content.keys().collect::<Vec<_>>()));
    };
    if !json {
        return Ok(());
    }
    let value: Value = serde_json::from_str(body).map_err(|e| format!("{what}: not JSON ({e})"))?;
    let mut errors = Vec::new();
    if let Some(schema) = documented.get("schema") {
        validate(schema, &value, "$", &mut errors);
    }
    if errors.is_empty() { Ok(()) } else { Err(format!("{what}:\n  {}", errors.join("\n  "))) }
}

fn resolve(schema: &Value) -> &Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("only local schema references are used: {r}"));
            resolve(DOC["components"]["schemas"].get(name).unwrap_or_else(|| panic!("{r} is not in the document")))
        }
        None => schema,
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Adds to `errors` every way `v` (at `at`) breaks `schema`.
pub fn validate(schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(schema);
    if v.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
        return;
    }
    for (key, all) in [("allOf", true), ("anyOf", false), ("oneOf", false)] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let passing = list
                .iter()
                .filter(|s| {
                    let mut e = Vec::new();
                    validate(s, v, at, &mut e);
                    e.is_empty()
                })
                .count();
            let ok = match key {
                "oneOf" => passing == 1,
                _ if all => passing == list.len(),
                _ => passing >= 1,
            };
            if !ok {
                errors.push(format!("{at}: matches {passing} of the {} schemas of {key}", list.len()));
            }
        }
    }
    if let Some(t) = schema.get("type") {
        let allowed: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let actual = type_of(v);
        if !allowed.iter().any(|a| *a == actual || (*a == "number" && actual == "integer")) {
            errors.push(format!("{at}: expected {}, got {actual} {v}", allowed.join(" or ")));
            return;
        }
    }
    if let Some(list) = schema.get("enum").and_then(Value::as_array)
        && !list.contains(v)
    {
        errors.push(format!("{at}: {v} is not one of {}", Value::Array(list.clone())));
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        errors.push(format!("{at}: {v} is not {c}"));
    }
    if let Some(n) = v.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            errors.push(format!("{at}: {v} is below the minimum {min}"));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            errors.push(format!("{at}: {v} is above the maximum {max}"));
        }
    }
    if let Some(s) = v.as_str() {
        let n = s.chars().count() as u64;
        if schema.get("maxLength").and_then(Value::as_u64).is_some_and(|max| n > max) {
            errors.push(format!("{at}: longer than {}", schema["maxLength"]));
        }
        if schema.get("minLength").and_then(Value::as_u64).is_some_and(|min| n < min) {
            errors.push(format!("{at}: shorter than {}", schema["minLength"]));
        }
    }
    if let Some(object) = v.as_object() {
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                errors.push(format!("{at}: the required property {name:?} is missing"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (name, value) in object {
            let here = format!("{at}.{name}");
            match (properties.and_then(|p| p.get(name)), schema.get("additionalProperties")) {
                (Some(s), _) => validate(s, value, &here, errors),
                (None, Some(Value::Bool(false))) => errors.push(format!("{here}: not allowed")),
                (None, Some(s @ Value::Object(_))) => validate(s, value, &here, errors),
                (None, Some(_)) => {}
                (None, None) if properties.is_some() => errors.push(format!("{here}: answered but not documented")),
                (None, None) => {}
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), v.as_array()) {
        for (i, item) in list.iter().enumerate() {
            validate(items, item, &format!("{at}[{i}]"), errors);
        }
    }
}

/// `(METHOD, path)` of every route in `src/api/mod.rs`, read from its
/// `.route("path", get(…).post(…))` calls.
fn routes() -> Vec<(String, String)> {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/mod.rs")).unwrap();
    let mut out = Vec::new();
    for (at, _) in source.match_indices(".route(\"") {
        let rest = &source[at + 8..];
        let path = &rest[..rest.find('"').unwrap()];
        // The call's text, to its closing parenthesis.
        let mut depth = 1;
        let call: String = rest
            .chars()
            .take_while(|c| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth > 0
            })
            .collect();
        for method in ["get", "post", "put", "patch", "delete"] {
            let called =
                call.match_indices(&format!("{method}(")).any(|(i, _)| !call[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'));
            if called {
                out.push((method.to_uppercase(), path.to_owned()));
            }
        }
    }
    out
}

#[test]
fn every_route_of_the_json_api_is_documented() {
    let routes = routes();
    assert!(routes.len() >= 30, "the routes were read from src/api/mod.rs: {routes:?}");
    let missing: Vec<String> = routes
        .iter()
        .filter(|(m, p)| DOC["paths"].get(p).and_then(|ops| ops.get(m.to_ascii_lowercase())).is_none())
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(missing.is_empty(), "routed but not in src/api/openapi.json: {missing:?}");
}

#[test]
fn the_validator_refuses_what_the_document_does_not_say() {
    // So the checks can fail: a wrong type, a missing required property, a
    // value outside an enum, an undocumented property and an undocumented
    // status are each found.
    let schema = serde_json::json!({
        "type": "object", "required": ["id", "status"],
        "properties": {"id": {"type": "string"}, "status": {"type": "string", "enum": ["placed", "paid"]},
                       "note": {"type": ["string", "null"]}, "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}}}
    });
    let errors = |v: Value| {
        let mut e = Vec::new();
        validate(&schema, &v, "$", &mut e);
        e
    };
    assert!(errors(serde_json::json!({"id": "7", "status": "paid", "note": null})).is_empty());
    assert_eq!(errors(serde_json::json!({"id": 7, "status": "paid"})).len(), 1, "an id is a string");
    assert_eq!(errors(serde_json::json!({"status": "paid"})).len(), 1, "the id is required");
    assert_eq!(errors(serde_json::json!({"id": "7", "status": "lost"})).len(), 1, "not a status");
    assert_eq!(errors(serde_json::json!({"id": "7", "status": "paid", "secret": 1})).len(), 1, "not documented");
    assert!(!errors(serde_json::json!({"id": "7", "status": "paid", "lines": [{"status": "x"}]})).is_empty(), "through a $ref");
    assert!(check("GET", "/api/v1/orders/7", 418, "application/problem+json", "{}").unwrap_err().contains("not documented"));
    assert!(check("GET", "/api/v1/orders/7", 200, "text/html", "<p>").is_err(), "not the documented content type");
}
