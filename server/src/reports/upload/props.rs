//! Property tests of the streaming form reader both intake doors use: any
//! body — well-formed or not, declared or chunked, cut into any pieces —
//! is read into exactly the fields that were sent, or refused with a 4xx;
//! never a panic, and every byte of upload memory is given back.

use super::*;
use axum::body::Body;
use proptest::prelude::*;

const BUDGET: usize = 4096;

fn spec() -> FormSpec {
    FormSpec {
        file_field: "photo",
        max_files: 2,
        max_file_bytes: 64,
        known: crate::reports::input::RawReport::knows,
        documents: None,
    }
}

/// A part as a client might send it: (name, content, as a file).
fn part() -> impl Strategy<Value = (String, Vec<u8>, bool)> {
    let name = prop_oneof![
        Just("category".to_owned()),
        Just("description".to_owned()),
        Just("lat".to_owned()),
        Just("answers".to_owned()),
        Just("photo".to_owned()),
        Just("photo[]".to_owned()),
        "[a-z_]{1,10}",
    ];
    let content = prop_oneof![
        "[ -~\\p{Han}]{0,40}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..100),
    ];
    (name, content, any::<bool>())
}

fn body(parts: &[(String, Vec<u8>, bool)], boundary: &str, mangle: Option<(usize, u8)>) -> Vec<u8> {
    let mut b = Vec::new();
    for (name, content, file) in parts {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
        );
        if *file {
            b.extend_from_slice(b"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg");
        }
        b.extend_from_slice(b"\r\n\r\n");
        b.extend_from_slice(content);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    if let Some((at, byte)) = mangle
        && !b.is_empty()
    {
        let at = at % b.len();
        b[at] = byte;
    }
    b
}

/// Reads `bytes` as a request body cut at `cuts`, declared or not.
fn read(
    bytes: Vec<u8>,
    boundary: &str,
    cuts: &[usize],
    declared: bool,
    budget: &UploadBudget,
) -> Result<Upload, UploadError> {
    let mut pieces = Vec::new();
    let mut from = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    for c in cuts.into_iter().chain([bytes.len()]) {
        if c > from {
            pieces.push(Ok::<_, std::io::Error>(Bytes::copy_from_slice(
                &bytes[from..c],
            )));
            from = c;
        }
    }
    let mut request = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/reports")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
    if declared {
        request = request.header(header::CONTENT_LENGTH, bytes.len());
    }
    let request = request
        .body(Body::from_stream(futures::stream::iter(pieces)))
        .unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_current_thread().build();
    let Ok(runtime) = runtime else {
        return Err(UploadError::Busy);
    };
    runtime.block_on(read_multipart(request, &spec(), 2048, budget))
}

proptest! {
    #![proptest_config(crate::testing::proptest_config())]

    #[test]
    fn a_well_formed_form_is_read_exactly_or_refused_by_its_caps(
        parts in proptest::collection::vec(part(), 0..8),
        boundary in "[A-Za-z0-9]{20,40}",
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
        declared in any::<bool>(),
    ) {
        let budget = UploadBudget::new(BUDGET);
        let sent = body(&parts, &boundary, None);
        let result = read(sent.clone(), &boundary, &cuts, declared, &budget);
        match &result {
            Ok(upload) => {
                let files: Vec<&Vec<u8>> = parts.iter().filter(|(n, _, _)| n.trim_end_matches("[]") == "photo").map(|(_, c, _)| c).collect();
                let texts: Vec<(String, String)> = parts
                    .iter()
                    .filter(|(n, _, _)| n.trim_end_matches("[]") != "photo")
                    .map(|(n, c, _)| (n.clone(), String::from_utf8_lossy(c).into_owned()))
                    .collect();
                prop_assert_eq!(upload.files.iter().map(|f| f.to_vec()).collect::<Vec<_>>(), files.into_iter().cloned().collect::<Vec<_>>());
                prop_assert_eq!(&upload.texts, &texts);
                prop_assert!(upload.files.len() <= 2 && upload.files.iter().all(|f| f.len() <= 64));
                prop_assert!(upload.held.bytes() <= BUDGET);
            }
            Err(e) => {
                // Only a cap or a name may refuse a well-formed form.
                let why = format!("{e:?}");
                prop_assert!(
                    matches!(e, UploadError::FileTooLarge { .. } | UploadError::TooManyFiles { .. } | UploadError::UnknownField(_) | UploadError::NotText(_)),
                    "{}", why
                );
            }
        }
        drop(result);
        prop_assert_eq!(budget.available(), BUDGET, "every byte of upload memory comes back");
    }

    #[test]
    fn any_body_is_read_or_refused_with_a_4xx(
        parts in proptest::collection::vec(part(), 0..6),
        boundary in "[A-Za-z0-9]{1,40}",
        mangle in proptest::option::of((any::<usize>(), any::<u8>())),
        noise in proptest::collection::vec(any::<u8>(), 0..64),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
        declared in any::<bool>(),
    ) {
        let budget = UploadBudget::new(BUDGET);
        let mut sent = body(&parts, &boundary, mangle);
        sent.extend_from_slice(&noise);
        match read(sent, &boundary, &cuts, declared, &budget) {
            Ok(upload) => drop(upload),
            Err(e) => {
                let status = AppError::from(e).status();
                prop_assert!(status.is_client_error() || status == StatusCode::SERVICE_UNAVAILABLE, "{}", status);
            }
        }
        prop_assert_eq!(budget.available(), BUDGET);
    }
}
