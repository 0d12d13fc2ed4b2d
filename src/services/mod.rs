//! All of the widget's network I/O. Components call these functions and never build a
//! request themselves. Every request goes through [`exchange`]: credentials are omitted (no
//! cookies go to the agency), a deadline aborts it, and the body size is capped as it
//! streams in, so a body that decompresses to gigabytes is cut off at the cap.

pub mod feed;
pub mod review;

use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, ReadableStream, ReadableStreamDefaultReader, RequestCredentials, RequestInit,
};

/// A finished exchange: the status and the body as text.
pub(crate) struct Reply {
    pub status: u16,
    pub body: String,
    /// The validator for a conditional refresh, when the server exposes one.
    pub etag: Option<String>,
}

/// Why an exchange produced no reply.
pub(crate) enum Failure {
    /// Offline, refused, blocked by CORS, or cancelled.
    Network,
    /// The deadline passed and the request was aborted.
    Timeout,
    /// The body is larger than the caller accepts; the size as far as it is known.
    TooLarge(usize),
}

/// Sends `method` to `url` with `header` and `body`, if any, and reads the whole answer
/// within `timeout_ms`. Straight through the browser's `fetch`: a request builder would
/// ship its own header map and URL handling to every reader.
pub(crate) async fn exchange(
    method: &str,
    url: &str,
    header: Option<(&str, &str)>,
    body: Option<String>,
    timeout_ms: u32,
    max_body: usize,
) -> Result<Reply, Failure> {
    let controller = AbortController::new().map_err(|_| Failure::Network)?;
    let signal = controller.signal();
    let on_timeout = controller.clone();
    // Dropped (and so cancelled) when this function returns.
    let _timer = Timeout::new(timeout_ms, move || on_timeout.abort());
    let failed = |_| {
        if signal.aborted() {
            Failure::Timeout
        } else {
            Failure::Network
        }
    };
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::Omit);
    init.set_signal(Some(&signal));
    if let Some(body) = body {
        init.set_body(&body.into());
    }
    let request =
        web_sys::Request::new_with_str_and_init(url, &init).map_err(|_| Failure::Network)?;
    if let Some((name, value)) = header {
        request
            .headers()
            .set(name, value)
            .map_err(|_| Failure::Network)?;
    }
    let window = web_sys::window().ok_or(Failure::Network)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(failed)?
        .unchecked_into();
    let body = match response.body() {
        Some(stream) => read_capped(stream, max_body)
            .await
            .map_err(|failure| match failure {
                Failure::Network if signal.aborted() => Failure::Timeout,
                other => other,
            })?,
        None => String::new(),
    };
    Ok(Reply {
        status: response.status(),
        body,
        etag: response.headers().get("etag").ok().flatten(),
    })
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// What `ReadableStreamDefaultReader.read()` resolves to.
    type ReadResult;
    #[wasm_bindgen(method, getter)]
    fn value(this: &ReadResult) -> Option<js_sys::Uint8Array>;
}

/// Reads `stream` to its end as text, or stops reading (and cancels the stream) as soon as
/// more than `max` bytes have arrived. The chunks stay in the browser, which decodes them.
async fn read_capped(stream: ReadableStream, max: usize) -> Result<String, Failure> {
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let chunks = js_sys::Array::new();
    let mut size = 0;
    loop {
        let step = JsFuture::from(reader.read())
            .await
            .map_err(|_| Failure::Network)?;
        // `{done: true}` carries no value.
        let Some(value) = step.unchecked_into::<ReadResult>().value() else {
            break;
        };
        size += value.length() as usize;
        if size > max {
            let _ = reader.cancel();
            return Err(Failure::TooLarge(size));
        }
        chunks.push(&value);
    }
    let blob = web_sys::Blob::new_with_u8_array_sequence(&chunks).map_err(|_| Failure::Network)?;
    let text = JsFuture::from(blob.text())
        .await
        .map_err(|_| Failure::Network)?;
    Ok(text.as_string().unwrap_or_default())
}
