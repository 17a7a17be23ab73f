//! A handler's value as a page's in-process read takes it (a leaf: the error
//! type's `AppJson` uses it, and it uses nothing of the server's).

use app::public_api::Value;
use axum::response::{IntoResponse, Response};
use std::any::Any;
use std::sync::{Arc, Mutex};

tokio::task_local! {
    /// Set while the API answers a page in-process.
    pub(super) static FOR_A_PAGE: ();
}

/// A handler's value on its way out of the router in a response's
/// extensions (which must be `Clone` and `Sync`; the value is taken once).
#[derive(Clone)]
pub(super) struct Slot(pub(super) Arc<Mutex<Option<Value>>>);

/// `value` as the answer to a page's in-process read: handed over as it is,
/// not written out. Outside one it comes back, to be sent as JSON.
pub fn answer<T>(value: T) -> Result<Response, T>
where
    T: serde::Serialize + Send + 'static,
{
    if FOR_A_PAGE.try_with(|_| ()).is_err() {
        return Err(value);
    }
    fn to_json<T: serde::Serialize + 'static>(value: &(dyn Any + Send)) -> Vec<u8> {
        value
            .downcast_ref::<T>()
            .and_then(|v| serde_json::to_vec(v).ok())
            .unwrap_or_default()
    }
    let value = Value {
        value: Box::new(value),
        to_json: to_json::<T>,
    };
    let mut response = ().into_response();
    response
        .extensions_mut()
        .insert(Slot(Arc::new(Mutex::new(Some(value)))));
    Ok(response)
}
