//! The echo page (`www/echo.html`): connect to a server's `/echo`, send text, watch it come back and the
//! ready state change live. Built to `www/pkg/` by `cargo xtask demo`.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use duplex_pages::{DomListener, default_server, listen};
use duplex_ws::{CloseCode, CloseInfo, Message, Subscription, WebSocket};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlInputElement};

/// The page's elements and the current connection.
struct App {
    me: Weak<App>,
    document: Document,
    url: HtmlInputElement,
    input: HtmlInputElement,
    status: Element,
    buffered: Element,
    log: Element,
    connection: RefCell<Option<Connection>>,
}

/// A socket and its handlers; dropping it closes the socket and frees everything.
struct Connection {
    socket: WebSocket,
    _subscriptions: [Subscription; 4],
}

thread_local! {
    static PAGE: RefCell<Option<(Rc<App>, Vec<DomListener>)>> = const { RefCell::new(None) };
}

#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let element = |id: &str| {
        document
            .get_element_by_id(id)
            .ok_or(format!("#{id} is missing"))
    };
    let (url, input) = (
        element("url")?.dyn_into()?,
        element("message-input")?.dyn_into()?,
    );
    let (status, buffered, log) = (element("status")?, element("buffered")?, element("log")?);
    let app = Rc::new_cyclic(|me| App {
        me: me.clone(),
        document: document.clone(),
        url,
        input,
        status,
        buffered,
        log,
        connection: RefCell::new(None),
    });
    app.url
        .set_value(&default_server(&window.location(), "/echo"));
    app.show_state();

    let listeners = vec![
        listen(&document, &app, "connect-form", "submit", |app, _| {
            app.connect()
        })?,
        listen(&document, &app, "disconnect", "click", |app, _| {
            app.disconnect()
        })?,
        listen(&document, &app, "send-form", "submit", |app, _| app.send())?,
    ];
    PAGE.with(|page| *page.borrow_mut() = Some((app, listeners)));
    Ok(())
}

impl App {
    fn connect(&self) {
        // Replacing the old connection drops it, which closes it.
        self.connection.replace(None);
        let url = self.url.value();
        let socket = match WebSocket::connect(&url) {
            Ok(socket) => socket,
            Err(error) => return self.log_line("error", &error.to_string()),
        };
        self.log_line("info", &format!("connecting to {url}"));
        let subscriptions = [
            socket.on_open(self.callback(|app| {
                app.log_line("info", "open");
                app.show_state();
            })),
            socket.on_message(self.handler(|app, message| {
                let text = match message {
                    Message::Text(text) => text,
                    Message::Binary(bytes) => format!("{} bytes", bytes.len()),
                    Message::Blob(blob) => format!("a Blob of {} bytes", blob.size()),
                };
                app.log_line("received", &text);
                app.show_state();
            })),
            socket.on_error(self.callback(|app| app.log_line("error", "the connection failed"))),
            socket.on_close(self.handler(|app, info: CloseInfo| {
                app.log_line("info", &format!("closed: {info}"));
                app.show_state();
            })),
        ];
        self.connection.replace(Some(Connection {
            socket,
            _subscriptions: subscriptions,
        }));
        self.show_state();
    }

    /// A socket handler that reaches this page without keeping it alive.
    fn handler<T>(&self, f: impl Fn(&App, T) + 'static) -> impl FnMut(T) + 'static {
        let app = self.me.clone();
        move |value| {
            if let Some(app) = app.upgrade() {
                f(&app, value);
            }
        }
    }

    /// [`handler`](Self::handler) for events without a value.
    fn callback(&self, f: impl Fn(&App) + 'static) -> impl FnMut() + 'static {
        let mut handler = self.handler(move |app, ()| f(app));
        move || handler(())
    }

    fn disconnect(&self) {
        if let Some(connection) = self.connection.borrow().as_ref() {
            if let Err(error) = connection.socket.close_with(CloseCode::Normal, "bye") {
                self.log_line("error", &error.to_string());
            }
        }
        self.show_state();
    }

    fn send(&self) {
        let text = self.input.value();
        let result = match self.connection.borrow().as_ref() {
            Some(connection) => connection.socket.send_text(&text),
            None => return self.log_line("error", "connect first"),
        };
        match result {
            Ok(()) => {
                self.log_line("sent", &text);
                self.input.set_value("");
            }
            Err(error) => self.log_line("error", &error.to_string()),
        }
        self.show_state();
    }

    fn show_state(&self) {
        let (state, buffered) = match self.connection.borrow().as_ref() {
            Some(c) => (c.socket.ready_state().as_str(), c.socket.buffered_amount()),
            None => ("closed", 0),
        };
        self.status.set_text_content(Some(state));
        let _ = self.status.set_attribute("data-state", state);
        self.buffered.set_text_content(Some(&buffered.to_string()));
    }

    fn log_line(&self, class: &str, text: &str) {
        let Ok(item) = self.document.create_element("li") else {
            return;
        };
        item.set_class_name(class);
        item.set_attribute("data-testid", "log-entry").ok();
        // Text only, never markup: whatever the server sends is shown literally.
        item.set_text_content(Some(text));
        self.log.append_child(&item).ok();
    }
}
