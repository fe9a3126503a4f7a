//! `/multipart`: parses a `multipart/form-data` body with multer (through axum's `Multipart`) and
//! answers what it found, so tests check an upload on what a real parser read, not on the bytes sent.

use axum::Json;
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// The longest file content echoed as `text` (a file's bytes otherwise show only as `size`).
const TEXT_MAX: usize = 256;

/// `{fields: {name: value}, files: [{name, filename, content_type, size, text?}]}`; a body that is not
/// multipart, or breaks its framing, gets 400 with multer's reason.
pub(crate) async fn multipart_echo(
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(e) => return (StatusCode::BAD_REQUEST, e.body_text()).into_response(),
    };
    let mut fields = Map::new();
    let mut files = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return (StatusCode::BAD_REQUEST, e.body_text()).into_response(),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(str::to_owned);
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => return (StatusCode::BAD_REQUEST, e.body_text()).into_response(),
        };
        match filename {
            Some(filename) => {
                let mut file = json!({
                    "name": name,
                    "filename": filename,
                    "content_type": content_type,
                    "size": bytes.len(),
                });
                if bytes.len() <= TEXT_MAX
                    && let (Ok(text), Value::Object(map)) = (std::str::from_utf8(&bytes), &mut file)
                {
                    map.insert("text".into(), Value::String(text.to_owned()));
                }
                files.push(file);
            }
            None => {
                fields.insert(name, Value::String(String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    Json(json!({ "fields": fields, "files": files })).into_response()
}
