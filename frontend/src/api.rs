//! The one typed fetch helper: JSON in, `api::ApiError` out for every failure. Every
//! state-changing request carries the CSRF header the server requires.
//!
//! A read made under a reactive owner (a page's resource, say) is aborted when that owner is
//! cleaned up: leaving a page cancels the reads it still waits for. Writes always run to the
//! end, so leaving a page never loses a commit half sent.

use std::future::Future;

use ::api::{ApiError, CSRF_HEADER};
use gloo_net::http::{Request, RequestBuilder, Response};
use leptos::prelude::{Owner, on_cleanup};
use send_wrapper::SendWrapper;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// `GET path` and decode the JSON answer. Not an `async fn`: the abort is tied to the owner
/// current when the read is asked for, before the future is first polled.
pub fn get<T: DeserializeOwned>(
    path: impl AsRef<str>,
) -> impl Future<Output = Result<T, ApiError>> {
    let abort = abort_on_cleanup();
    let request = Request::get(path.as_ref()).abort_signal(abort.map(|c| c.signal()).as_ref());
    async move { decode(send(request, None::<&()>).await?).await }
}

/// An `AbortController` aborted when the current reactive owner is cleaned up; `None` outside
/// any owner. Aborting a request that has finished does nothing.
fn abort_on_cleanup() -> Option<web_sys::AbortController> {
    let _owner = Owner::current()?;
    let controller = web_sys::AbortController::new().ok()?;
    // The app is single-threaded (wasm32): the wrapper is only ever touched on this thread.
    let kept = SendWrapper::new(controller.clone());
    on_cleanup(move || kept.abort());
    Some(controller)
}

/// `POST path` with a JSON body; decodes the JSON answer.
pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    decode(send(Request::post(path), Some(body)).await?).await
}

/// `PUT path` with a JSON body; decodes the JSON answer.
pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    decode(send(Request::put(path), Some(body)).await?).await
}

/// `PATCH path` with a JSON body; decodes the JSON answer.
pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    decode(send(Request::patch(path), Some(body)).await?).await
}

/// `POST path` with a JSON body; the answer as text (for endpoints that answer HTML).
pub async fn post_for_text<B: Serialize>(path: &str, body: &B) -> Result<String, ApiError> {
    send(Request::post(path), Some(body))
        .await?
        .text()
        .await
        .map_err(|err| {
            ApiError::new(
                "decode",
                format!("The server sent an unreadable answer ({err})."),
            )
        })
}

/// `DELETE path`; expects no content.
pub async fn delete(path: &str) -> Result<(), ApiError> {
    send(Request::delete(path), None::<&()>).await.map(drop)
}

async fn send<B: Serialize>(
    request: RequestBuilder,
    body: Option<&B>,
) -> Result<Response, ApiError> {
    let request = request
        .header("Accept", "application/json")
        .header(CSRF_HEADER, "1");
    let request = match body {
        Some(body) => request.json(body),
        None => request.build(),
    }
    .map_err(|err| ApiError::new("encode", format!("Could not prepare the request ({err}).")))?;
    let response = request
        .send()
        .await
        .map_err(|err| ApiError::new("network", format!("Could not reach the server ({err}).")))?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    Err(match response.json::<ApiError>().await {
        Ok(err) => err,
        Err(_) => ApiError::new(
            "http",
            format!("The server answered {status} {}.", response.status_text()),
        ),
    })
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    response.json::<T>().await.map_err(|err| {
        ApiError::new(
            "decode",
            format!("The server sent an unexpected answer ({err})."),
        )
    })
}

/// Percent-encodes a path segment or query value.
pub fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}
