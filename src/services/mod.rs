//! All of the widget's network I/O. Hooks call these functions and never build a request
//! themselves. Every request goes through [`exchange`], with gloo-net: credentials are
//! omitted (no cookies go to the agency), a deadline aborts it, the hook that asked can
//! abort it too ([`Cancel`], when its view goes away), and the body size is capped as it
//! streams in, so a body that decompresses to gigabytes is cut off at the cap.

pub mod feed;
pub mod review;

use gloo_net::http::{Method, RequestBuilder};
use gloo_timers::callback::Timeout;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, ReadableStream, ReadableStreamDefaultReader, RequestCredentials,
};

thread_local! {
    /// The loader's hand-off (`take(url, signal)`), for the widget this instance runs: the
    /// answer to the feed request it started while the wasm was on its way, or nothing.
    static EARLY: std::cell::RefCell<Option<js_sys::Function>> = const { std::cell::RefCell::new(None) };
}

/// Keeps `take` (the host's `_nwEarly`, when the loader set one) for this instance's
/// widget. A plain GET that it answers is not sent again: a feed that cannot be cached
/// (`no-store`) would otherwise be downloaded twice for each widget that starts.
pub fn hand_over(take: JsValue) {
    // (Checked with `typeof`, not `instanceof`: the smaller test, in bytes of wasm.)
    let take = take.is_function().then(|| take.unchecked_into());
    EARLY.with(|early| *early.borrow_mut() = take);
}

/// The loader's answer for a plain GET of `url` (a promise of a `Response`), once; aborted
/// with `signal`.
fn taken(url: &str, signal: &AbortSignal) -> Option<JsFuture> {
    let take = EARLY.with(|early| early.borrow().clone())?;
    let answer = take.call2(&JsValue::NULL, &url.into(), signal).ok()?;
    (!answer.is_undefined()).then(|| JsFuture::from(answer.unchecked_into::<js_sys::Promise>()))
}

/// What a hook holds for the requests it started: aborting it (when the view goes away, or
/// a newer load replaces this one) aborts the request in flight, and a pause between
/// retries, at once, so nothing the widget asked for stays open on the server.
#[derive(Clone)]
pub struct Cancel(Option<AbortController>);

impl Cancel {
    pub fn new() -> Self {
        Cancel(AbortController::new().ok())
    }

    /// Aborts every exchange and pause started with this handle.
    pub fn abort(&self) {
        if let Some(controller) = &self.0 {
            controller.abort();
        }
    }

    /// Whether [`Cancel::abort`] was called.
    pub fn aborted(&self) -> bool {
        self.signal().is_some_and(|s| s.aborted())
    }

    fn signal(&self) -> Option<AbortSignal> {
        self.0.as_ref().map(AbortController::signal)
    }

    /// Calls `f` (a JS function) when aborted.
    fn on_abort(&self, f: &js_sys::Function) {
        if let Some(signal) = self.signal() {
            let _ = signal.add_event_listener_with_callback("abort", f);
        }
    }
}

impl Default for Cancel {
    fn default() -> Self {
        Cancel::new()
    }
}

/// `target[method]`, bound to `target` with an `undefined` first argument, as a function.
fn bound(target: &JsValue, method: &str) -> Option<js_sys::Function> {
    let f = js_sys::Reflect::get(target, &JsValue::from_str(method)).ok()?;
    let bind = js_sys::Reflect::get(&f, &JsValue::from_str("bind")).ok()?;
    let bind: &js_sys::Function = bind.dyn_ref()?;
    bind.call2(&f, target, &JsValue::UNDEFINED)
        .ok()?
        .dyn_into()
        .ok()
}

/// Waits `ms`, or less if `cancel` is aborted first: a pause between retries that ends with
/// the view.
pub(crate) async fn pause(ms: u32, cancel: &Cancel) {
    if cancel.aborted() {
        return;
    }
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window()
            .map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32));
        cancel.on_abort(&resolve);
    });
    let _ = JsFuture::from(promise).await;
}

/// A finished exchange: the status, the headers the server exposes, and the body as text.
pub(crate) struct Reply {
    pub status: u16,
    pub body: String,
    headers: web_sys::Headers,
}

impl Reply {
    /// A response header, when the server sent it and CORS lets the page read it.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).ok().flatten()
    }
}

/// Why an exchange produced no reply.
pub(crate) enum Failure {
    /// Offline, refused or blocked by CORS.
    Network,
    /// Aborted through its [`Cancel`]: the view that asked has gone.
    Cancelled,
    /// The deadline passed and the request was aborted.
    Timeout,
    /// The body is larger than the caller accepts; the size as far as it is known.
    TooLarge(usize),
}

/// Sends `method` to `url` with `header` and `body`, if any, and reads the whole answer
/// within `timeout_ms`, unless `cancel` is aborted first.
pub(crate) async fn exchange(
    method: Method,
    url: &str,
    header: Option<(&str, &str)>,
    body: Option<String>,
    timeout_ms: u32,
    max_body: usize,
    cancel: &Cancel,
) -> Result<Reply, Failure> {
    if cancel.aborted() {
        return Err(Failure::Cancelled);
    }
    // One controller for this exchange, aborted by its deadline or by the caller's handle.
    // Its `abort`, bound with an explicit `undefined` reason: as the caller's listener it is
    // called with the abort event, which would otherwise become the reason the fetch
    // rejects with, and gloo-net expects an Error there.
    let controller = AbortController::new().map_err(|_| Failure::Network)?;
    let signal = controller.signal();
    let abort = bound(&controller, "abort").ok_or(Failure::Network)?;
    cancel.on_abort(&abort);
    let on_timeout = controller.clone();
    // Dropped (and so cancelled) when this function returns.
    let _timer = Timeout::new(timeout_ms, move || on_timeout.abort());
    let why = || {
        if cancel.aborted() {
            Failure::Cancelled
        } else if signal.aborted() {
            Failure::Timeout
        } else {
            Failure::Network
        }
    };
    // A plain GET (the feed's first load) may have been answered by the loader already.
    let early = match (&method, header) {
        (&Method::GET, None) => taken(url, &signal),
        _ => None,
    };
    let mut request = RequestBuilder::new(url)
        .method(method)
        .credentials(RequestCredentials::Omit)
        .abort_signal(Some(&signal));
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let request = match body {
        Some(body) => request.body(body),
        None => request.build(),
    }
    .map_err(|_| Failure::Network)?;
    // Sent with the browser's own `fetch` (gloo's `send` also serves workers, and formats a
    // panic for an answer that is not a `Response`: bytes the widget never needs), or
    // answered by the loader; the same reading follows either way.
    let answer = match early {
        Some(answer) => answer,
        None => {
            let window = web_sys::window().ok_or(Failure::Network)?;
            JsFuture::from(window.fetch_with_request(&request.into()))
        }
    };
    let response: web_sys::Response = answer.await.map_err(|_| why())?.unchecked_into();
    let text = match response.body() {
        Some(stream) => read_capped(stream, max_body)
            .await
            .map_err(|failure| match failure {
                Failure::Network => why(),
                other => other,
            })?,
        None => String::new(),
    };
    // The controller's listener on the caller's handle goes with the exchange.
    if let Some(outer) = cancel.signal() {
        let _ = outer.remove_event_listener_with_callback("abort", &abort);
    }
    Ok(Reply {
        status: response.status(),
        body: text,
        headers: response.headers(),
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
