//! The one typed fetch helper: JSON in, `api::ApiError` out for every failure.

use ::api::ApiError;
use gloo_net::http::Request;
use serde::de::DeserializeOwned;

/// `GET path` and decode the JSON answer. Server errors keep their code and message; network
/// and decoding failures become errors with the codes `network` and `decode`.
pub async fn get<T: DeserializeOwned>(path: impl AsRef<str>) -> Result<T, ApiError> {
    let response = Request::get(path.as_ref())
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|err| ApiError::new("network", format!("Could not reach the server ({err}).")))?;
    if response.ok() {
        return response.json::<T>().await.map_err(|err| {
            ApiError::new(
                "decode",
                format!("The server sent an unexpected answer ({err})."),
            )
        });
    }
    let status = response.status();
    match response.json::<ApiError>().await {
        Ok(err) => Err(err),
        Err(_) => Err(ApiError::new(
            "http",
            format!("The server answered {status} {}.", response.status_text()),
        )),
    }
}

/// Percent-encodes a query string value.
pub fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}
