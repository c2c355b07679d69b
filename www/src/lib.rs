//! What the demo pages share: reading the URL's query, the default server, and DOM listeners that reach
//! the page without keeping it alive.
//!
//! This crate (`duplex-pages`) holds the Rust of the repository's demo pages, built for wasm32 as
//! cdylib examples: `chat` (`www/chat/`, the page at `/`, `index.html`) and `echo` (`www/echo/`,
//! `www/echo.html`). `cargo xtask demo` builds both into `www/pkg/` with wasm-bindgen; the pages
//! use duplex-ws like any application would, with its `reconnect` and `json` features.

use std::rc::{Rc, Weak};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Event, Location};

/// A DOM listener. Dropping it frees the Rust closure but does not detach it, and the browser's next
/// call would then throw: a page keeps its listeners for its whole life (in a `thread_local!`).
pub type DomListener = Closure<dyn FnMut(Event)>;

/// The query parameter `name` of the page's URL (`?name=value`), unless absent or empty.
pub fn query(location: &Location, name: &str) -> Option<String> {
    let search = location.search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
        .filter(|value| !value.is_empty())
}

/// The WebSocket URLs to connect to, in the order to try them: every `?server=` of the page's URL
/// (`?server=ws://a/chat&server=ws://b/chat` for relays that share their rooms), else
/// [`default_server`] alone.
pub fn servers(location: &Location, path: &str) -> Vec<String> {
    let given: Vec<String> = location
        .search()
        .ok()
        .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok())
        .map(|params| {
            params
                .get_all("server")
                .iter()
                .filter_map(|value| value.as_string())
                .filter(|value| !value.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if given.is_empty() {
        vec![default_server(location, path)]
    } else {
        given
    }
}

/// The WebSocket URL to connect to: the first `?server=` if given, else `path` on this page's
/// origin (`ws:` or `wss:` after the page's scheme), or `ws://127.0.0.1:8080` + `path` when the page
/// has no host (a `file:` URL).
pub fn default_server(location: &Location, path: &str) -> String {
    if let Some(server) = query(location, "server") {
        return server;
    }
    match (location.protocol(), location.host()) {
        (Ok(scheme), Ok(host)) if !host.is_empty() => {
            let ws = if scheme == "https:" { "wss" } else { "ws" };
            format!("{ws}://{host}{path}")
        }
        _ => format!("ws://127.0.0.1:8080{path}"),
    }
}

/// Calls `action` on `kind` events of element `id`; a form submission does not reload the page.
///
/// The listener holds the page's state `app` weakly, so it never keeps it alive; once `app` is
/// dropped, events are ignored.
///
/// # Errors
///
/// When the document has no element `id`, or the browser refuses the listener.
pub fn listen<A: 'static>(
    document: &Document,
    app: &Rc<A>,
    id: &str,
    kind: &str,
    action: fn(&A, Event),
) -> Result<DomListener, JsValue> {
    let target = document
        .get_element_by_id(id)
        .ok_or_else(|| JsValue::from(format!("#{id} is missing")))?;
    let app: Weak<A> = Rc::downgrade(app);
    let submit = kind == "submit";
    let listener = DomListener::new(move |event: Event| {
        if submit {
            event.prevent_default();
        }
        if let Some(app) = app.upgrade() {
            action(&app, event);
        }
    });
    target.add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref())?;
    Ok(listener)
}
