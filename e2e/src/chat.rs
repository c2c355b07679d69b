//! [`ChatTab`]: the chat page (`index.html` + `www/chat/`) in one browser, as a test sees it:
//! its controls by `data-testid`, and [`ChatSnapshot`]s of what it shows.

use std::fmt;

use fantoccini::key::Key;
use serde::Deserialize;

use crate::Error;
use crate::driver::Session;
use crate::setup::Setup;
use crate::wait;

/// Reads everything the tests check in one round trip.
const SNAPSHOT_JS: &str = r#"
const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const list = byTestId("messages");
return {
    room: byTestId("room")?.value ?? null,
    input: byTestId("message-input")?.value ?? null,
    status: byTestId("status")?.textContent ?? null,
    outbox: byTestId("outbox")?.textContent ?? null,
    notice: byTestId("notice")?.textContent ?? null,
    members: Array.from(document.querySelectorAll('[data-testid="members"] li'), (li) => li.textContent),
    messages: list ? Array.from(list.querySelectorAll('[data-testid="message"]'), (entry) => {
        const image = entry.querySelector("img");
        return {
            from: entry.dataset.from ?? "",
            text: entry.querySelector(".text")?.textContent ?? null,
            image: image ? { src: image.src, width: image.naturalWidth } : null,
            pending: entry.dataset.pending === "true",
            failure: entry.dataset.failed === "true"
                ? entry.querySelector(".failure")?.firstChild?.textContent ?? ""
                : null,
        };
    }) : [],
    system: list
        ? Array.from(list.querySelectorAll('[data-testid="system"]'), (entry) => entry.textContent)
        : [],
    markup_in_text: list
        ? Array.from(list.querySelectorAll(".text *"), (element) => element.localName)
        : [],
    errors: window.__duplexE2eErrors ?? [],
};
"#;

/// An image as a message shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShownImage {
    /// The `<img>`'s source: an object URL (`blob:`) for a received image.
    pub src: String,
    /// Its natural width: 0 until the image has loaded and decoded.
    pub width: u32,
}

/// One message on the page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChatMessage {
    /// The sender's nickname (`data-from`).
    pub from: String,
    /// The text, for a text message.
    pub text: Option<String>,
    /// The image, for an image message.
    pub image: Option<ShownImage>,
    /// Ours and not yet acknowledged by the relay.
    pub pending: bool,
    /// Ours and refused by the relay for what it is: why, as the page shows it.
    pub failure: Option<String>,
}

/// What the chat page showed at one moment. `Display` renders it for failure messages.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChatSnapshot {
    /// The room field.
    pub room: Option<String>,
    /// The message input's text.
    pub input: Option<String>,
    /// The connection status text.
    pub status: Option<String>,
    /// The outbox size shown.
    pub outbox: Option<String>,
    /// The notice line (errors for the user).
    pub notice: Option<String>,
    /// The member list, as shown.
    pub members: Vec<String>,
    /// The messages, oldest first.
    pub messages: Vec<ChatMessage>,
    /// The page's own lines among the messages (someone joined or left, the history was reset,
    /// messages could not be recovered), oldest first.
    pub system: Vec<String>,
    /// Elements found inside message texts: markup that was parsed. Should stay empty.
    pub markup_in_text: Vec<String>,
    /// What the error hooks recorded. Should stay empty.
    pub errors: Vec<String>,
}

impl ChatSnapshot {
    /// Whether the status text contains `word` (a ready state such as `open`, or `reconnecting`).
    pub fn status_has(&self, word: &str) -> bool {
        self.status
            .as_deref()
            .is_some_and(|status| status.contains(word))
    }

    /// How many times a text message `text` from `from` is shown.
    pub fn count(&self, from: &str, text: &str) -> usize {
        self.messages
            .iter()
            .filter(|m| m.from == from && m.text.as_deref() == Some(text))
            .count()
    }

    /// The images shown from `from`.
    pub fn images_from<'a>(&'a self, from: &'a str) -> impl Iterator<Item = &'a ShownImage> + 'a {
        self.messages
            .iter()
            .filter(move |m| m.from == from)
            .filter_map(|m| m.image.as_ref())
    }

    /// The messages shown as failed (refused by the relay, never re-sent).
    pub fn failed(&self) -> impl Iterator<Item = &ChatMessage> + '_ {
        self.messages.iter().filter(|m| m.failure.is_some())
    }

    /// Whether `nick` is in the member list.
    pub fn has_member(&self, nick: &str) -> bool {
        self.members.iter().any(|member| member == nick)
    }
}

impl fmt::Display for ChatSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  status:  {:?}", self.status)?;
        writeln!(f, "  outbox:  {:?}", self.outbox)?;
        writeln!(f, "  notice:  {:?}", self.notice)?;
        writeln!(f, "  input:   {:?}", self.input)?;
        writeln!(f, "  members: {:?}", self.members)?;
        writeln!(f, "  messages:")?;
        for m in &self.messages {
            let body = match (&m.text, &m.image) {
                (Some(text), _) => format!("{text:?}"),
                (None, Some(image)) => format!("image {} ({} px wide)", image.src, image.width),
                (None, None) => "(empty)".to_owned(),
            };
            let pending = if m.pending { " (pending)" } else { "" };
            let failure = m
                .failure
                .as_ref()
                .map_or_else(String::new, |why| format!(" ({why})"));
            writeln!(f, "    {}: {body}{pending}{failure}", m.from)?;
        }
        for line in &self.system {
            writeln!(f, "  system line: {line:?}")?;
        }
        if !self.markup_in_text.is_empty() {
            writeln!(f, "  markup parsed in texts: {:?}", self.markup_in_text)?;
        }
        for error in &self.errors {
            writeln!(f, "  page error: {error}")?;
        }
        Ok(())
    }
}

/// The chat page in a browser of its own.
#[derive(Debug)]
#[must_use = "dropping the tab quits its browser"]
pub struct ChatTab {
    session: Session,
    nick: String,
}

impl ChatTab {
    /// Starts a browser and opens the page from `base_url` with `?room={room}`, then waits until its
    /// Rust code has started (it copies the room from the URL into the room field).
    ///
    /// # Errors
    /// Those of [`Session::start`]; [`Error::Timeout`] if the page's code does not start.
    pub async fn open(
        setup: &Setup,
        base_url: &str,
        room: &str,
        nick: &str,
    ) -> Result<Self, Error> {
        Self::open_with_servers(setup, base_url, room, nick, &[]).await
    }

    /// [`ChatTab::open`] with `?server=` set to each of `servers` in turn: the relays the page
    /// tries, one after the other, when a connection ends or fails.
    ///
    /// # Errors
    /// As [`ChatTab::open`].
    pub async fn open_with_servers(
        setup: &Setup,
        base_url: &str,
        room: &str,
        nick: &str,
        servers: &[String],
    ) -> Result<Self, Error> {
        let session = Session::start(setup, &format!("chat-{nick}")).await?;
        let mut url = format!("{base_url}/?room={room}");
        for server in servers {
            url.push_str("&server=");
            url.push_str(server);
        }
        wait::command(&format!("open {url}"), session.client().goto(&url)).await?;
        let tab = Self {
            session,
            nick: nick.to_owned(),
        };
        tab.wait_until(
            "the page's Rust code to start (it fills in the room)",
            |page| page.room.as_deref() == Some(room),
        )
        .await?;
        tab.session.install_error_hooks().await?;
        Ok(tab)
    }

    /// This tab's nickname.
    pub fn nick(&self) -> &str {
        &self.nick
    }

    /// The browser session, for screenshots.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// What the page shows now.
    ///
    /// # Errors
    /// As [`Session::read`].
    pub async fn snapshot(&self) -> Result<ChatSnapshot, Error> {
        self.session.read(SNAPSHOT_JS).await
    }

    /// Polls [`ChatTab::snapshot`] until `done` accepts one.
    ///
    /// # Errors
    /// As [`Session::wait_until`].
    pub async fn wait_until(
        &self,
        waited_for: &str,
        done: impl FnMut(&ChatSnapshot) -> bool,
    ) -> Result<ChatSnapshot, Error> {
        let waited_for = format!("{}: {waited_for}", self.nick);
        self.session
            .wait_until(&waited_for, || self.snapshot(), done)
            .await
    }

    /// Types the nickname, clicks Join, and waits until the page is open and joined.
    ///
    /// # Errors
    /// As [`Session::type_into`] and [`ChatTab::wait_until`].
    pub async fn join(&self) -> Result<ChatSnapshot, Error> {
        self.session.type_into("nick", &self.nick).await?;
        self.session.click("join").await?;
        let nick = self.nick.clone();
        self.wait_until("to be open and joined", move |page| {
            page.status_has("open") && page.has_member(&nick)
        })
        .await
    }

    /// Types `text` and presses Enter.
    ///
    /// # Errors
    /// As [`Session::type_into`].
    pub async fn send_with_enter(&self, text: &str) -> Result<(), Error> {
        self.session
            .type_into("message-input", &format!("{text}{}", Key::Enter))
            .await
    }

    /// Types `text` and clicks Send.
    ///
    /// # Errors
    /// As [`Session::type_into`] and [`Session::click`].
    pub async fn send_with_button(&self, text: &str) -> Result<(), Error> {
        self.session.type_into("message-input", text).await?;
        self.session.click("send").await
    }

    /// Picks the image file at `path` in the image input, which sends it.
    ///
    /// # Errors
    /// As [`Session::type_into`].
    pub async fn send_image(&self, path: &std::path::Path) -> Result<(), Error> {
        self.session
            .type_into("image-input", &path.display().to_string())
            .await
    }

    /// Clicks Disconnect, with the close code and reason the form holds (1000 "bye" unless
    /// changed): the page closes its socket and stops reconnecting.
    ///
    /// # Errors
    /// As [`Session::click`].
    pub async fn disconnect(&self) -> Result<(), Error> {
        self.session.click("disconnect").await
    }

    /// Clears the message input.
    ///
    /// # Errors
    /// As [`Session::clear`].
    pub async fn clear_input(&self) -> Result<(), Error> {
        self.session.clear("message-input").await
    }

    /// Clicks the first failed message's Edit button (its text goes back into the input) or,
    /// with `edit` false, its Remove button.
    ///
    /// # Errors
    /// As [`Session::click`].
    pub async fn take_back_failed(&self, edit: bool) -> Result<(), Error> {
        let button = if edit { "edit-failed" } else { "remove-failed" };
        self.session.click(button).await
    }

    /// Clicks Reconnect: the page connects again and rejoins its room.
    ///
    /// # Errors
    /// As [`Session::click`].
    pub async fn reconnect(&self) -> Result<(), Error> {
        self.session.click("reconnect").await
    }

    /// Resizes the window to `width`×`height` CSS pixels (a phone, say) and tells whether the page then
    /// fits its width: no horizontal scrolling.
    ///
    /// # Errors
    /// WebDriver errors.
    pub async fn fits_width(&self, width: u32, height: u32) -> Result<bool, Error> {
        wait::command(
            "resize the window",
            self.session.client().set_window_size(width, height),
        )
        .await?;
        self.session
            .read("return document.documentElement.scrollWidth <= window.innerWidth;")
            .await
    }

    /// Saves a screenshot as `<root>/target/e2e/<name>.png`.
    ///
    /// # Errors
    /// As [`Session::screenshot`].
    pub async fn screenshot(&self, name: &str) -> Result<std::path::PathBuf, Error> {
        self.session.screenshot(name).await
    }

    /// Ends the tab: fails if the page reported errors, else quits the browser cleanly.
    ///
    /// # Errors
    /// [`Error::PageErrors`] with what the hooks recorded; those of [`Session::close`].
    pub async fn finish(self) -> Result<(), Error> {
        let errors = self.session.page_errors().await?;
        if !errors.is_empty() {
            return Err(Error::PageErrors(errors));
        }
        self.session.close().await
    }
}
