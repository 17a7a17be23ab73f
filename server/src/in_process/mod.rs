//! The JSON API as the pages read it while rendering on the server: a GET
//! handed straight to the API's router (see `app::public_api`), its answer
//! the handler's value itself rather than its JSON.
//!
//! So a page sees exactly what the handler made. A field that `serde` left
//! out of the JSON would reach the page too: the API's types have none, and
//! what must not reach the public is never read into them.

pub mod answer;

use answer::{FOR_A_PAGE, Slot};
use app::public_api::{Answer, Body, InProcessApi};
use axum::Router;
use std::sync::Arc;

/// The API's router (`api::router` with its state) as a page's reader.
pub fn api(api: Router) -> InProcessApi {
    use tower::ServiceExt;
    InProcessApi(Arc::new(move |path: String| {
        let api = api.clone();
        // Its own task, as a Leptos resource's read would be: the answer
        // comes whether or not the page polls it again. A page may start a
        // read while working out what to wait for and then keep that future
        // unpolled; a read holding the directory's loading lock would then
        // stall every other read of it.
        let answer = tokio::spawn(FOR_A_PAGE.scope((), async move {
            let failed = |status| Answer {
                status,
                body: Body::Bytes(Vec::new()),
            };
            let Ok(request) = axum::http::Request::get(&path).body(axum::body::Body::empty())
            else {
                return failed(400);
            };
            let Ok(mut response) = api.oneshot(request).await;
            let status = response.status().as_u16();
            let value = response
                .extensions_mut()
                .remove::<Slot>()
                .and_then(|Slot(slot)| slot.lock().ok()?.take());
            if let Some(value) = value {
                return Answer {
                    status,
                    body: Body::Value(value),
                };
            }
            match axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024).await {
                Ok(body) => Answer {
                    status,
                    body: Body::Bytes(body.to_vec()),
                },
                Err(_) => failed(500),
            }
        }));
        Box::pin(async move {
            answer.await.unwrap_or_else(|_| Answer {
                status: 500,
                body: Body::Bytes(Vec::new()),
            })
        })
    }))
}
