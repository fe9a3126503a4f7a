//! `multipart:` bodies, checked on what the target's multipart parser (multer) read: text fields with
//! `$(var)`, file parts with their file name, content type and bytes, and a generated boundary (a new
//! one per request: `http::multipart`'s unit test). A
//! `data:` mapping is the `application/x-www-form-urlencoded` form.

use super::{Case, check_table, pass};

const UPLOADS: &[Case] = &[
    pass(
        "text fields and a file part with its own name and type",
        r#"    - activity: PostRequest
      url: /multipart
      multipart:
        user: $(user.name)
        note: plain text
        doc: {file: tests/it/http_semantics/upload.txt, filename: greeting.txt, content_type: text/plain}
      assert_json:
        fields.user: anonymous
        fields.note: plain text
        files[0].name: doc
        files[0].filename: greeting.txt
        files[0].content_type: text/plain
        files[0].size: 16
        files[0].text: "hello multipart\n"
"#,
    ),
    pass(
        "a file part's defaults: its file's name, application/octet-stream",
        r#"    - activity: PutRequest
      url: /multipart
      multipart:
        a: {file: tests/it/http_semantics/upload.txt}
        b: {file: tests/it/http_semantics/upload.txt}
      assert_json:
        files[0].filename: upload.txt
        files[1].name: b
        files[1].content_type: application/octet-stream
        "$.files[2]": absent
"#,
    ),
    pass(
        "what was sent: multipart/form-data with a boundary",
        r#"    - activity: PostRequest
      url: /echo
      multipart: {a: "1"}
      assert_json: {headers.content-type: "multipart/form-data; boundary=stressor-[A-Za-z0-9]{32}"}
"#,
    ),
    pass(
        "a data: mapping is the urlencoded form",
        r#"    - activity: PostRequest
      url: /echo
      data: {a: "1 2", b: $(user.name)}
      assert_json: {headers.content-type: application/x-www-form-urlencoded, form.a: "1 2", form.b: anonymous}
"#,
    ),
];

#[tokio::test]
async fn multipart_uploads_are_parsed_by_the_server() {
    check_table("", UPLOADS).await;
}

#[tokio::test]
async fn multipart_uploads_over_http2() {
    check_table("  http_version: 2\n", UPLOADS).await;
}
