//! What the demo pages share: reading the URL's query, the default server, and DOM listeners that reach
//! the page without keeping it alive. Included by each page with `#[path]`.

use std::rc::{Rc, Weak};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Event, Location};

/// DOM listeners, kept for the page's life.
pub type DomListener = Closure<dyn FnMut(Event)>;

/// The query parameter `name`, unless absent or empty.
pub fn query(location: &Location, name: &str) -> Option<String> {
    let search = location.search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
        .filter(|value| !value.is_empty())
}

/// `?server=` if given, else `path` on this page's origin (ws or wss after the page's scheme).
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
