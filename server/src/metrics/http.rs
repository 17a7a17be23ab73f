//! Requests, counted and timed in one middleware, by route template, method
//! and status. The template comes from axum's `MatchedPath`
//! (`/api/v1/track/{code}`); a request no route matched is `unmatched`, so
//! the raw path — which can carry a tracking code — is never a label, and a
//! scanner trying a thousand paths makes no new series.

use super::Metrics;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::sync::Arc;
use std::time::Instant;

/// The route of every request no route matched (the static files and the
/// page-not-found fallbacks among them).
pub const UNMATCHED: &str = "unmatched";

/// Seconds: from a cached page (a millisecond) to the request timeout.
const BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Counted {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Timed {
    method: &'static str,
    route: String,
    /// `2xx`, `4xx`, …: a histogram per status code would be many series
    /// for little.
    status: &'static str,
}

#[derive(Clone, Debug)]
pub(super) struct HttpMetrics {
    requests: Family<Counted, Counter>,
    duration: Family<Timed, Histogram>,
}

impl HttpMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let requests = Family::<Counted, Counter>::default();
        let duration = Family::<Timed, Histogram>::new_with_constructor(|| Histogram::new(BUCKETS));
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request (to the response's head), by route template, method and status class",
            Unit::Seconds,
            duration.clone(),
        );
        Self { requests, duration }
    }
}

/// The middleware: around every route, outermost, so timeouts and panics
/// are counted with the status they were answered with.
pub(super) async fn record(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = route(request.extensions().get::<MatchedPath>());
    let method = method(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let took = started.elapsed().as_secs_f64();
    let status = response.status();
    let http = &metrics.http;
    http.duration
        .get_or_create(&Timed {
            method,
            route: route.clone(),
            status: class(status),
        })
        .observe(took);
    http.requests
        .get_or_create(&Counted {
            method,
            route,
            status: status.as_u16(),
        })
        .inc();
    response
}

/// The template, or [`UNMATCHED`]. A nested router's fallback matches a
/// template of axum's own (`/api/v1/{*__private__axum_fallback}`): that is
/// a 404 too.
fn route(matched: Option<&MatchedPath>) -> String {
    match matched.map(MatchedPath::as_str) {
        Some(template) if !template.contains("{*__private__axum") => template.to_owned(),
        _ => UNMATCHED.to_owned(),
    }
}

/// The method, from a fixed list: a client can send any token as a method.
fn method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_method_is_one_label() {
        assert_eq!(method(&Method::GET), "GET");
        assert_eq!(
            method(&Method::from_bytes(b"TRACKING-CODE-X").unwrap()),
            "other"
        );
    }

    #[test]
    fn statuses_are_grouped_by_class() {
        assert_eq!(class(StatusCode::OK), "2xx");
        assert_eq!(class(StatusCode::NOT_FOUND), "4xx");
        assert_eq!(class(StatusCode::SERVICE_UNAVAILABLE), "5xx");
    }
}
