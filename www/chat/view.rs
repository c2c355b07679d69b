//! [`View`]: the page's elements, and every change to what it shows. Text always goes in as text.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, VecDeque};

use duplex_chat_protocol::{IMAGE_MIMES, MAX_NICK_CHARS, MAX_ROOM_CHARS, MAX_TEXT_BYTES};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, Document, Element, HtmlImageElement, HtmlInputElement, Url};

/// The most messages kept on screen; older ones go, with their image's object URL.
const MAX_SHOWN: usize = 500;

pub struct View {
    document: Document,
    pub nick: HtmlInputElement,
    pub room: HtmlInputElement,
    pub input: HtmlInputElement,
    pub image_input: HtmlInputElement,
    pub close_code: HtmlInputElement,
    pub close_reason: HtmlInputElement,
    status: Element,
    outbox: Element,
    buffered: Element,
    notice: Element,
    messages: Element,
    members_list: Element,
    members: RefCell<BTreeSet<String>>,
    /// Shown messages, oldest first, with the object URL of their image if any.
    shown: RefCell<VecDeque<(Element, Option<String>)>>,
    /// Our own messages still waiting for the relay's echo, or failed, by id.
    pending: RefCell<HashMap<String, Element>>,
}

impl View {
    pub fn new(document: &Document) -> Result<Self, JsValue> {
        let element = |id: &str| {
            document
                .get_element_by_id(id)
                .ok_or_else(|| JsValue::from(format!("#{id} is missing")))
        };
        let input = |id: &str| {
            element(id)?
                .dyn_into::<HtmlInputElement>()
                .map_err(JsValue::from)
        };
        let view = Self {
            document: document.clone(),
            nick: input("nick")?,
            room: input("room")?,
            input: input("message-input")?,
            image_input: input("image-input")?,
            close_code: input("close-code")?,
            close_reason: input("close-reason")?,
            status: element("status")?,
            outbox: element("outbox")?,
            buffered: element("buffered")?,
            notice: element("notice")?,
            messages: element("messages")?,
            members_list: element("members")?,
            members: RefCell::new(BTreeSet::new()),
            shown: RefCell::new(VecDeque::new()),
            pending: RefCell::new(HashMap::new()),
        };
        view.limit_inputs();
        Ok(view)
    }

    /// The inputs' limits, from the protocol's. A message's `maxlength` counts UTF-16 units, not the
    /// relay's bytes of UTF-8, so sending checks the bytes again.
    fn limit_inputs(&self) {
        self.nick.set_max_length(html_length(MAX_NICK_CHARS));
        self.room.set_max_length(html_length(MAX_ROOM_CHARS));
        self.input.set_max_length(html_length(MAX_TEXT_BYTES));
        self.image_input.set_accept(&IMAGE_MIMES.join(","));
    }

    /// `state` is one of connecting, open, closing, closed, reconnecting; `detail` follows it.
    pub fn status(&self, state: &str, detail: &str) {
        let text = if detail.is_empty() {
            state.to_owned()
        } else {
            format!("{state} {detail}")
        };
        self.status.set_text_content(Some(&text));
        let _ = self.status.set_attribute("data-state", state);
    }

    pub fn counters(&self, outbox: usize, buffered: u64) {
        self.outbox.set_text_content(Some(&outbox.to_string()));
        self.buffered.set_text_content(Some(&buffered.to_string()));
    }

    pub fn notice(&self, text: &str) {
        self.notice.set_text_content(Some(text));
    }

    pub fn set_members(&self, members: Vec<String>) {
        *self.members.borrow_mut() = members.into_iter().collect();
        self.render_members();
    }

    pub fn member(&self, nick: &str, present: bool) {
        {
            let mut members = self.members.borrow_mut();
            if present {
                members.insert(nick.to_owned());
            } else {
                members.remove(nick);
            }
        }
        self.render_members();
        self.system(&format!(
            "{nick} {}",
            if present { "joined" } else { "left" }
        ));
    }

    fn render_members(&self) {
        self.members_list.set_text_content(None);
        for nick in self.members.borrow().iter() {
            if let Some(item) = self.element("li", "member") {
                item.set_text_content(Some(nick));
                let _ = self.members_list.append_child(&item);
            }
        }
    }

    /// A message from `from`, with text or an image.
    pub fn message(&self, from: &str, ts: u64, body: Body<'_>) {
        let Some(item) = self.element("li", "message") else {
            return;
        };
        let _ = item.set_attribute("data-from", from);
        self.fill(&item, from, Some(ts));
        let url = self.body(&item, body);
        self.push(item, url);
    }

    /// One of our messages, shown at once, dimmed until the relay echoes it.
    pub fn pending(&self, id: &str, from: &str, body: Body<'_>) {
        let Some(item) = self.element("li", "message") else {
            return;
        };
        item.set_class_name("pending");
        let _ = item.set_attribute("data-from", from);
        let _ = item.set_attribute("data-pending", "true");
        self.fill(&item, from, None);
        let url = self.body(&item, body);
        self.pending
            .borrow_mut()
            .insert(id.to_owned(), item.clone());
        self.push(item, url);
    }

    /// The relay echoed our message `id`: it is sent.
    pub fn acknowledged(&self, id: &str, ts: u64) {
        if let Some(item) = self.pending.borrow_mut().remove(id) {
            item.set_class_name("");
            let _ = item.remove_attribute("data-pending");
            if let Some(time) = item.query_selector("time").ok().flatten() {
                time.set_text_content(Some(&clock(ts)));
            }
        }
    }

    /// The relay refused our message `id` for what it is: it is shown as failed, with why, and
    /// buttons to take it back into the input (a text) or remove it.
    pub fn failed(&self, id: &str, reason: &str) {
        let Some(item) = self.pending.borrow().get(id).cloned() else {
            return;
        };
        item.set_class_name("failed");
        let _ = item.remove_attribute("data-pending");
        let _ = item.set_attribute("data-failed", "true");
        if let Some(time) = item.query_selector("time").ok().flatten() {
            time.set_text_content(Some("not sent"));
        }
        let Some(failure) = self.element("span", "failure") else {
            return;
        };
        failure.set_class_name("failure");
        failure.set_text_content(Some(&format!("Not sent: {reason}")));
        let editable = item.query_selector("img").ok().flatten().is_none();
        let actions = [("edit", "Edit"), ("remove", "Remove")];
        for (action, label) in actions
            .into_iter()
            .filter(|(a, _)| editable || *a != "edit")
        {
            if let Some(button) = self.element("button", &format!("{action}-failed")) {
                let _ = button.set_attribute("type", "button");
                let _ = button.set_attribute("data-action", action);
                let _ = button.set_attribute("data-id", id);
                button.set_text_content(Some(label));
                let _ = failure.append_child(&button);
            }
        }
        let _ = item.append_child(&failure);
    }

    /// Takes our message `id` off the page, with its image's object URL.
    pub fn remove(&self, id: &str) {
        let Some(item) = self.pending.borrow_mut().remove(id) else {
            return;
        };
        let mut shown = self.shown.borrow_mut();
        let index = shown
            .iter()
            .position(|(shown, _)| shown.is_same_node(Some(&item)));
        if let Some((_, url)) = index.and_then(|index| shown.remove(index)) {
            revoke(url);
        }
        item.remove();
    }

    /// Puts `text` back into the message input, to edit and send again.
    pub fn edit(&self, text: &str) {
        self.input.set_value(text);
        let _ = self.input.focus();
    }

    pub fn system(&self, text: &str) {
        if let Some(item) = self.element("li", "system") {
            item.set_class_name("system");
            item.set_text_content(Some(text));
            self.push(item, None);
        }
    }

    /// Empties the room, freeing every image's object URL.
    pub fn clear(&self) {
        for (_, url) in self.shown.borrow_mut().drain(..) {
            revoke(url);
        }
        self.pending.borrow_mut().clear();
        self.messages.set_text_content(None);
        self.set_members(Vec::new());
    }

    fn fill(&self, item: &Element, from: &str, ts: Option<u64>) {
        if let Some(name) = self.element("span", "") {
            name.set_class_name("from");
            name.set_text_content(Some(from));
            let _ = item.append_child(&name);
        }
        if let Some(time) = self.element("time", "") {
            time.set_text_content(Some(&ts.map_or_else(|| "sending…".to_owned(), clock)));
            let _ = item.append_child(&time);
        }
    }

    /// Appends the text or the image; returns the image's object URL, to revoke later.
    fn body(&self, item: &Element, body: Body<'_>) -> Option<String> {
        match body {
            Body::Text(text) => {
                let span = self.element("span", "")?;
                span.set_class_name("text");
                span.set_text_content(Some(text));
                let _ = item.append_child(&span);
                None
            }
            Body::Image(blob) => {
                // The browser reads the Blob straight from its own memory: no copy into wasm.
                let url = Url::create_object_url_with_blob(blob).ok()?;
                let image = self
                    .element("img", "image")?
                    .dyn_into::<HtmlImageElement>()
                    .ok()?;
                image.set_alt("an image");
                image.set_src(&url);
                let _ = item.append_child(&image);
                Some(url)
            }
        }
    }

    fn push(&self, item: Element, url: Option<String>) {
        let _ = self.messages.append_child(&item);
        item.scroll_into_view();
        let mut shown = self.shown.borrow_mut();
        shown.push_back((item, url));
        while shown.len() > MAX_SHOWN {
            if let Some((old, url)) = shown.pop_front() {
                old.remove();
                revoke(url);
            }
        }
    }

    fn element(&self, tag: &str, test_id: &str) -> Option<Element> {
        let element = self.document.create_element(tag).ok()?;
        if !test_id.is_empty() {
            let _ = element.set_attribute("data-testid", test_id);
        }
        Some(element)
    }
}

/// What a message holds.
pub enum Body<'a> {
    Text(&'a str),
    Image(&'a Blob),
}

fn revoke(url: Option<String>) {
    if let Some(url) = url {
        let _ = Url::revoke_object_url(&url);
    }
}

/// A limit as an HTML attribute's `i32`.
fn html_length(limit: usize) -> i32 {
    i32::try_from(limit).unwrap_or(i32::MAX)
}

/// `HH:MM` in local time, for `ts` in milliseconds since the Unix epoch.
fn clock(ts: u64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ts as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}
