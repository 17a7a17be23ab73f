//! Class 9: uploads are bounded in memory. Twenty concurrent 47 MB bodies
//! added about 400 MB to a release server before the 413s came back (every
//! field was read whole before any check), and six progressive 49 MP JPEGs
//! took it to 530 MB. Written as the attacker would send them: raw HTTP/1.1
//! on a socket, so a test sees the server answer while the body is still
//! unsent — a server that buffers first never answers, and the test fails.

use sea_orm::{EntityTrait, PaginatorTrait};
use server::db::entities::{case, photo};
use shanshui_tests::{Backend, TestApp, photos};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BOUNDARY: &str = "shanshui-upload-test";
const MIB: usize = 1024 * 1024;
/// How long the server has to answer a request whose body it must not wait for.
const PROMPTLY: Duration = Duration::from_secs(10);

fn text_part(name: &str, value: &str) -> Vec<u8> {
    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        .into_bytes()
}

/// A file part's head: its bytes follow, then `\r\n`.
fn file_head(name: &str) -> Vec<u8> {
    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
        .into_bytes()
}

fn file_part(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut part = file_head(name);
    part.extend_from_slice(bytes);
    part.extend_from_slice(b"\r\n");
    part
}

fn closing() -> Vec<u8> {
    format!("--{BOUNDARY}--\r\n").into_bytes()
}

/// The text fields of a valid report (Yudong, inside Banan).
fn report_fields(description: &str) -> Vec<u8> {
    [
        ("category", "other"),
        ("description", description),
        ("lat", "29.3752"),
        ("lon", "106.5101"),
    ]
    .iter()
    .flat_map(|(k, v)| text_part(k, v))
    .collect()
}

/// A whole report whose photo is a real JPEG padded after its end to make
/// the body `size` bytes long (decoders stop at the EOI marker).
fn report_of_size(size: usize) -> Vec<u8> {
    let mut body = report_fields("上传内存预算测试");
    let jpeg = photos::jpeg(320, 240);
    let framing = body.len() + file_head("photo").len() + 2 + closing().len();
    let mut padded = jpeg;
    padded.resize(size - framing, 0);
    body.extend_from_slice(&file_part("photo", &padded));
    body.extend_from_slice(&closing());
    assert_eq!(body.len(), size);
    body
}

/// Opens a connection and sends a multipart POST's head: with `length`, a
/// Content-Length; without, chunked transfer.
async fn start(app: &TestApp, path: &str, length: Option<usize>) -> TcpStream {
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let framing = match length {
        Some(n) => format!("Content-Length: {n}"),
        None => "Transfer-Encoding: chunked".to_owned(),
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n\r\n",
        app.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Writes body bytes, as one chunk when the transfer is chunked. A server
/// that has answered may stop reading or close: that is not a failure here.
async fn send(stream: &mut TcpStream, bytes: &[u8], chunked: bool) {
    let mut out = Vec::with_capacity(bytes.len() + 16);
    if chunked {
        out.extend_from_slice(format!("{:x}\r\n", bytes.len()).as_bytes());
    }
    out.extend_from_slice(bytes);
    if chunked {
        out.extend_from_slice(b"\r\n");
    }
    let _ = tokio::time::timeout(Duration::from_secs(30), stream.write_all(&out)).await;
}

/// An answer read off the socket: status, headers (lower-case names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: serde_json::Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one answer, failing the test if none comes within [`PROMPTLY`]:
/// the client has not finished sending, so a server that waits for the whole
/// body never answers.
async fn answer(stream: &mut TcpStream) -> Answer {
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().to_owned())
                    })
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                if buf.len() >= end + 4 + length {
                    return (head, buf[end + 4..end + 4 + length].to_vec());
                }
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => panic!(
                    "the connection closed without a whole answer: {}",
                    String::from_utf8_lossy(&buf)
                ),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    let (head, body) = tokio::time::timeout(PROMPTLY, read)
        .await
        .unwrap_or_else(|_| panic!("no answer within {PROMPTLY:?} while the body was still unsent: the server waits for it"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    }
}

async fn counts(app: &TestApp) -> (u64, u64) {
    (
        case::Entity::find().count(&app.db).await.unwrap(),
        photo::Entity::find().count(&app.db).await.unwrap(),
    )
}

/// The upload budget of the server [`upload_budget_test!`] starts.
const SMALL_BUDGET: usize = 4 * MIB;

/// Runs `test` with demo data against a server whose upload memory is
/// [`SMALL_BUDGET`]; skipped on PostgreSQL when `TEST_DATABASE_URL` is unset.
async fn with_small_upload_budget(backend: Backend, test: impl AsyncFnOnce(&TestApp)) {
    let Some(app) = TestApp::spawn_with(backend, |s| s.upload_budget = SMALL_BUDGET).await else {
        eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
        return;
    };
    app.load_demo().await;
    test(&app).await;
    app.shutdown().await;
}

macro_rules! upload_budget_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::with_small_upload_budget(shanshui_tests::Backend::Sqlite, super::$name).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::with_small_upload_budget(shanshui_tests::Backend::Postgres, super::$name)
                    .await
            }
        }
    };
}

async fn uploads_past_the_upload_budget_get_503_with_retry_after_and_are_never_buffered(
    app: &TestApp,
) {
    // A holds 3 of the 4 MiB: its length is declared, and half of it sent.
    let body_a = report_of_size(3 * MIB);
    let mut a = start(app, "/api/v1/reports", Some(body_a.len())).await;
    send(&mut a, &body_a[..body_a.len() / 2], false).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // B declares 2 MiB through either door and sends none of it: answered
    // at once, its body never read.
    for path in ["/api/v1/reports", "/open311/v2/requests.json"] {
        let mut b = start(app, path, Some(2 * MIB)).await;
        let refused = answer(&mut b).await;
        assert_eq!(refused.status, 503, "{path}: {}", refused.body);
        let retry: u64 = refused
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(
            retry > 0,
            "{path}: Retry-After {:?}",
            refused.header("retry-after")
        );
        if path.starts_with("/api") {
            assert_eq!(refused.body["error"]["code"], "busy", "{}", refused.body);
        } else {
            assert_eq!(refused.body[0]["code"], 503, "{}", refused.body);
        }
    }

    // C says nothing of its length: refused once what it sent passes the
    // 1 MiB left, while it is still sending.
    let mut c = start(app, "/api/v1/reports", None).await;
    send(&mut c, &report_fields("分块上传的举报"), true).await;
    send(&mut c, &file_head("photo"), true).await;
    let (mut reader, mut writer) = c.into_split();
    let writing = tokio::spawn(async move {
        for _ in 0..8 {
            let piece = format!("{:x}\r\n", 256 * 1024).into_bytes();
            let mut chunk = piece;
            chunk.extend(std::iter::repeat_n(0xAB, 256 * 1024));
            chunk.extend_from_slice(b"\r\n");
            if tokio::time::timeout(Duration::from_secs(5), writer.write_all(&chunk))
                .await
                .map_or(true, |r| r.is_err())
            {
                break;
            }
        }
        writer
    });
    let mut stream_c = Vec::new();
    let refused = tokio::time::timeout(PROMPTLY, async {
        let mut chunk = [0u8; 4096];
        while !stream_c.windows(4).any(|w| w == b"\r\n\r\n") {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => stream_c.extend_from_slice(&chunk[..n]),
            }
        }
        String::from_utf8_lossy(&stream_c).into_owned()
    })
    .await
    .unwrap_or_else(|_| panic!("no answer to the chunked upload past the budget"));
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(
        refused.to_ascii_lowercase().contains("retry-after:"),
        "{refused}"
    );
    drop(writing.await);

    // A finishes and is filed; its share comes back, and a report that
    // needs nearly all of the budget then goes through.
    send(&mut a, &body_a[body_a.len() / 2..], false).await;
    let filed = answer(&mut a).await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    let big = report_of_size(SMALL_BUDGET - 64 * 1024);
    let res = app
        .client
        .post(app.url("/api/v1/reports"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
    assert_eq!(
        counts(app).await,
        (2, 2),
        "only A and the last one were filed"
    );
}
upload_budget_test!(uploads_past_the_upload_budget_get_503_with_retry_after_and_are_never_buffered);

async fn a_field_past_its_cap_is_refused_while_the_client_is_still_sending(app: &TestApp) {
    let key = server::api_keys::create(&app.db, "city app", "test", app.clock.now())
        .await
        .unwrap();
    // Each body declares 40 MiB (under the 48 MB limit and within the
    // budget); only the part up to the offending field is sent.
    let over_text = {
        let mut b = report_fields("文本字段过长");
        b.extend_from_slice(&text_part("answers", &"长".repeat(30_000)));
        b
    };
    let over_photo = {
        let mut b = report_fields("照片过大");
        b.extend_from_slice(&file_head("photo"));
        b.extend(std::iter::repeat_n(0xFF, 20 * MIB + 64 * 1024));
        b
    };
    let seventh_photo = {
        let mut b = report_fields("照片过多");
        for _ in 0..7 {
            b.extend_from_slice(&file_part("photo", &photos::jpeg(64, 48)));
        }
        b
    };
    let open311_photo = {
        let mut b = text_part("api_key", &key);
        b.extend_from_slice(&text_part("service_code", "other"));
        b.extend_from_slice(&file_head("media"));
        b.extend(std::iter::repeat_n(0xFF, 20 * MIB + 64 * 1024));
        b
    };
    let open311_text = {
        let mut b = text_part("api_key", &key);
        b.extend_from_slice(&text_part("description", &"x".repeat(70_000)));
        b
    };
    let cases: [(&str, &[u8], u16, &str); 5] = [
        ("/api/v1/reports", &over_text, 422, "answers"),
        ("/api/v1/reports", &over_photo, 413, "file_too_large"),
        ("/api/v1/reports", &seventh_photo, 422, "photo"),
        ("/open311/v2/requests.json", &open311_photo, 413, "photo 1"),
        (
            "/open311/v2/requests.json",
            &open311_text,
            400,
            "description",
        ),
    ];
    for (path, sent, status, says) in cases {
        let mut stream = start(app, path, Some(40 * MIB)).await;
        send(&mut stream, sent, false).await;
        let refused = answer(&mut stream).await;
        assert_eq!(refused.status, status, "{path} {says}: {}", refused.body);
        assert!(
            refused.body.to_string().contains(says),
            "{path}: {}",
            refused.body
        );
    }
    assert_eq!(counts(app).await, (0, 0));
}
shanshui_tests::demo_test!(a_field_past_its_cap_is_refused_while_the_client_is_still_sending);

/// Posts `fields` and one photo in `file_field` as reqwest sends a form.
async fn post_photo(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    file_field: &str,
    photo: Vec<u8>,
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let form = form.part(
        file_field.to_owned(),
        reqwest::multipart::Part::bytes(photo).file_name("p.jpg"),
    );
    app.client
        .post(app.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

const REPORT: [(&str, &str); 4] = [
    ("category", "other"),
    ("description", "渐进式照片"),
    ("lat", "29.3752"),
    ("lon", "106.5101"),
];

async fn a_photo_whose_decode_needs_more_memory_than_one_decode_may_use_is_refused(app: &TestApp) {
    let key = server::api_keys::create(&app.db, "city app", "test", app.clock.now())
        .await
        .unwrap();
    let open311 = [
        ("api_key", key.as_str()),
        ("service_code", "other"),
        ("lat", "29.3752"),
        ("long", "106.5101"),
    ];
    // 49 MP, inside the pixel limits; progressive 4:4:4, so its decode must
    // hold 294 MB of coefficients. The file itself is a few kilobytes.
    let heavy = photos::claiming(photos::progressive_jpeg(64, 48, true), 7000, 7000);
    let started = std::time::Instant::now();
    let res = post_photo(app, "/api/v1/reports", &REPORT, "photo", heavy.clone()).await;
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "decode_too_large", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("photo 1") && message.contains("MB of memory"),
        "{message}"
    );
    let res = post_photo(app, "/open311/v2/requests.json", &open311, "media", heavy).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("MB of memory"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused from the header, took {:?}",
        started.elapsed()
    );
    assert_eq!(counts(app).await, (0, 0));

    // A progressive photo of an ordinary size is taken, its copies made.
    let res = post_photo(
        app,
        "/api/v1/reports",
        &REPORT,
        "photo",
        photos::progressive_jpeg(1800, 1200, false),
    )
    .await;
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
    assert_eq!(counts(app).await, (1, 1));
}
shanshui_tests::demo_test!(
    a_photo_whose_decode_needs_more_memory_than_one_decode_may_use_is_refused
);
