//! The OpenAPI 3 document of the API, assembled from the same endpoint
//! groups the router is built from. Each endpoint brings its own Operation
//! Object; this module adds what every operation shares (tags, security,
//! the login, parameter and request-body error answers) and the schemas,
//! generated from the request and answer types themselves (their serde
//! attributes and doc comments), so a type and its schema cannot disagree.

mod scalars;

use std::sync::OnceLock;

use schemars::generate::{Contract, SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

use super::{groups, Access, PREFIX};

/// A type whose schema goes into `components.schemas`, named by
/// `JsonSchema::schema_name`, with the schemas of the types it holds.
pub struct TypeSchema {
    direction: Direction,
    add: fn(&mut SchemaGenerator),
}

enum Direction {
    Request,
    Response,
}

/// A request body: its schema is what serde reads, so a
/// `#[serde(default)]` field is optional.
pub fn request<T: JsonSchema>() -> TypeSchema {
    TypeSchema {
        direction: Direction::Request,
        add: |generator| {
            generator.subschema_for::<T>();
        },
    }
}

/// An answer: its schema is what serde writes, so every field that is
/// always written is required.
pub fn response<T: JsonSchema>() -> TypeSchema {
    TypeSchema {
        direction: Direction::Response,
        add: |generator| {
            generator.subschema_for::<T>();
        },
    }
}

/// The generated `components.schemas`: requests and answers come from
/// generators of their own contract. A type used both ways (an iSCSI
/// target is sent, and shown back inside the target's view) keeps its
/// request schema: there a `#[serde(default)]` field is optional, which a
/// reader of answers, where it is always present, also accepts.
fn generated_schemas(types: impl IntoIterator<Item = TypeSchema>) -> Map<String, Value> {
    let generator = |contract| {
        SchemaSettings::openapi3()
            .with(|s| s.contract = contract)
            .into_generator()
    };
    let mut requests = generator(Contract::Deserialize);
    let mut responses = generator(Contract::Serialize);
    for schema in types {
        match schema.direction {
            Direction::Request => (schema.add)(&mut requests),
            Direction::Response => (schema.add)(&mut responses),
        }
    }
    let mut schemas = responses.take_definitions(true);
    schemas.extend(requests.take_definitions(true));
    for schema in schemas.values_mut() {
        nullable_refs(schema);
    }
    schemas
}

/// schemars writes an `Option` of a named type as `anyOf` the type and a
/// null-only schema; OpenAPI 3.0 says the same as `allOf` the type with
/// `nullable`, which generators read better (and 3.0 ignores siblings of
/// a `$ref`, so `nullable` cannot sit next to it).
fn nullable_refs(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            let null_only = json!({"enum": [null], "nullable": true});
            if let Some(Value::Array(any_of)) = object.get("anyOf") {
                if any_of.len() == 2 && any_of[1] == null_only {
                    let named = any_of[0].clone();
                    object.remove("anyOf");
                    object.insert("allOf".into(), json!([named]));
                    object.insert("nullable".into(), json!(true));
                }
            }
            object.values_mut().for_each(nullable_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_refs),
        _ => {}
    }
}

/// The document, as served by `GET /api/v1/openapi.json`.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(build)
}

fn build() -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    let mut tags = Vec::new();
    let mut types = vec![response::<super::ErrorBody>()];
    for group in groups() {
        types.extend(group.types);
        tags.push(json!({"name": group.name, "description": group.description}));
        for endpoint in group.endpoints {
            let mut operation = endpoint.operation;
            let op = operation
                .as_object_mut()
                .unwrap_or_else(|| panic!("{} {}: not an object", endpoint.method, endpoint.path));
            op.insert("tags".into(), json!([group.name]));
            let has_body = op.contains_key("requestBody");
            let has_parameters = op.contains_key("parameters");
            if endpoint.access == Access::Public {
                op.insert("security".into(), json!([]));
            }
            let responses = op
                .entry("responses")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("responses is an object");
            if endpoint.access == Access::Admin {
                responses
                    .entry("401")
                    .or_insert_with(|| error_response("Login required (network clients only)."));
            }
            if has_parameters {
                responses.entry("422").or_insert_with(|| {
                    error_response("A path or query parameter is not valid; `field` names it.")
                });
            }
            if has_body {
                for (status, why) in [
                    ("400", "The body is not JSON."),
                    ("413", "The body is too large."),
                    ("415", "The body is not `application/json`."),
                    (
                        "422",
                        "A field is unknown, missing, mistyped or rejected; `field` names it.",
                    ),
                ] {
                    responses
                        .entry(status)
                        .or_insert_with(|| error_response(why));
                }
            }
            let method = endpoint.method.as_str().to_ascii_lowercase();
            let item = paths
                .entry(document_path(endpoint.path))
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("path item is an object");
            let previous = item.insert(method, operation);
            assert!(
                previous.is_none(),
                "{} {} is defined twice",
                endpoint.method,
                endpoint.path
            );
        }
    }
    for (name, schema) in generated_schemas(types) {
        let previous = schemas.insert(name.clone(), schema);
        assert!(previous.is_none(), "schema {name} is defined twice");
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "ironstor storaged API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The appliance's API. Over HTTPS it needs a session from \
                POST /login (bearer token or cookie); on the local unix socket \
                (root only) it needs none. Errors are \
                {\"error\": {\"code\", \"message\", \"field\"}}.",
        },
        "servers": [{"url": PREFIX}],
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": super::SESSION_COOKIE},
            },
        },
        "security": [{"bearer": []}, {"cookie": []}],
    })
}

/// The OpenAPI spelling of a route path: axum's catch-all `{*name}` (a
/// parameter that may hold `/`, such as a dataset name) is the plain
/// parameter `{name}`; the operation's parameter says it may hold `/`.
pub fn document_path(route: &str) -> String {
    route.replace("{*", "{")
}

/// A required path parameter, a string.
pub fn path_parameter(name: &str, description: &str, example: &str) -> Value {
    json!({
        "name": name,
        "in": "path",
        "required": true,
        "description": description,
        "schema": {"type": "string"},
        "example": example,
    })
}

/// An optional query parameter of the given JSON Schema.
pub fn query_parameter(name: &str, description: &str, schema: Value) -> Value {
    json!({
        "name": name,
        "in": "query",
        "required": false,
        "description": description,
        "schema": schema,
    })
}

/// `{"$ref": "#/components/schemas/<name>"}`.
pub fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// A required JSON request body of `T`'s schema.
pub fn json_request<T: JsonSchema>() -> Value {
    json!({
        "required": true,
        "content": {"application/json": {"schema": schema_ref(&T::schema_name())}},
    })
}

/// A JSON answer of `T`'s schema.
pub fn json_response<T: JsonSchema>(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": schema_ref(&T::schema_name())}},
    })
}

/// An error answer (the `Error` schema).
pub fn error_response(description: &str) -> Value {
    json_response::<super::ErrorBody>(description)
}
