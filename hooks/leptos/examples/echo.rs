//! The Leptos echo console (`www/leptos.html`): `use_websocket` with the JSON codec against the relay's
//! `/echo`. It shows the state, the outbox and the buffered amount as they change; what is typed goes out as
//! a `Note` (queued while disconnected) and comes back decoded; the server field moves the socket.

#[cfg(target_arch = "wasm32")]
mod page {
    use duplex_ws_leptos::{Json, SendStatus, UseWebSocketOptions, use_websocket};
    use leptos::prelude::*;
    use serde::{Deserialize, Serialize};
    use wasm_bindgen::prelude::*;

    /// What the console sends and the relay echoes.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    struct Note {
        n: u32,
        text: String,
    }

    /// One line of the log.
    #[derive(Debug, Clone)]
    struct Entry {
        id: u32,
        class: &'static str,
        text: String,
    }

    /// How many log lines the page keeps.
    const LOG_LINES: usize = 200;

    #[wasm_bindgen(start)]
    pub fn start() {
        leptos::mount::mount_to_body(Console);
    }

    /// `?server=` of the page's URL, else `/echo`: a relative URL, which the browser resolves against
    /// the page (`ws:` or `wss:` after its scheme).
    fn default_server() -> String {
        web_sys::window()
            .and_then(|window| window.location().search().ok())
            .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok())
            .and_then(|params| params.get("server"))
            .filter(|server| !server.is_empty())
            .unwrap_or_else(|| "/echo".to_owned())
    }

    #[component]
    fn Console() -> impl IntoView {
        let (server, set_server) = signal(default_server());
        let (field, set_field) = signal(server.get_untracked());
        let (draft, set_draft) = signal(String::new());
        let (log, set_log) = signal(Vec::<Entry>::new());
        let (next_id, set_next_id) = signal(0_u32);
        let push = move |class: &'static str, text: String| {
            let id = next_id.get_untracked();
            set_next_id.set(id.wrapping_add(1));
            set_log.update(|log| {
                if log.len() >= LOG_LINES {
                    log.remove(0);
                }
                log.push(Entry { id, class, text });
            });
        };
        let socket = use_websocket(
            server,
            UseWebSocketOptions::with_codec(Json::<Note>::new())
                .recent(0)
                .on_message(move |note: &Note| push("received", note.text.clone()))
                .on_decode_error(move |_, error| push("error", format!("not a note: {error}")))
                .on_open(move || push("info", "open".to_owned()))
                .on_close(move |info| push("info", format!("closed: {info}"))),
        );

        let send = move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            let text = draft.get_untracked();
            let note = Note {
                n: next_id.get_untracked(),
                text: text.clone(),
            };
            match socket.send(&note) {
                Ok(SendStatus::Sent) => push("sent", text),
                Ok(SendStatus::Queued { .. }) => push("sent", text),
                Err(error) => push("error", error.to_string()),
            }
            set_draft.set(String::new());
        };
        let report = move |done: Result<(), duplex_ws_leptos::Error>| {
            if let Err(error) = done {
                push("error", error.to_string());
            }
        };
        let move_to = move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            push("info", format!("moving to {}", field.get_untracked()));
            set_server.set(field.get_untracked());
        };
        let state_name = move || {
            let state = socket.state.get().to_string();
            state
                .split([' ', ':'])
                .next()
                .unwrap_or_default()
                .to_owned()
        };

        view! {
            <main>
                <header>
                    <h1>"duplex-ws " <span>"leptos echo"</span></h1>
                    <nav><a href="../">"chat"</a> " · " <a href="echo.html">"echo"</a> " · " <a href="yew.html">"yew"</a></nav>
                    <p class="state">
                        "State " <output id="status" data-testid="status" data-state=state_name>
                            {move || socket.state.get().to_string()}
                        </output>
                        " · outbox " <output data-testid="outbox">{socket.queued}</output>
                        " · buffered " <output data-testid="buffered">{socket.buffered_amount}</output> " B"
                    </p>
                </header>
                <form class="row" on:submit=move_to>
                    <label for="url">"Server"</label>
                    <input id="url" data-testid="url" type="url" required spellcheck="false"
                        prop:value=field on:input=move |event| set_field.set(event_target_value(&event))/>
                    <button data-testid="move">"Move"</button>
                    <button type="button" data-testid="disconnect"
                        on:click=move |_| report(socket.close_with(1000, "bye"))>"Disconnect"</button>
                    <button type="button" data-testid="reconnect"
                        on:click=move |_| report(socket.reconnect())>"Reconnect"</button>
                </form>
                <form class="row" on:submit=send>
                    <label for="message-input">"Message"</label>
                    <input id="message-input" data-testid="message-input" autocomplete="off"
                        placeholder="Type and press Enter"
                        prop:value=draft on:input=move |event| set_draft.set(event_target_value(&event))/>
                    <button data-testid="send">"Send"</button>
                </form>
                <ol id="log" data-testid="log" aria-live="polite">
                    <For each=move || log.get() key=|entry| entry.id let:entry>
                        <li data-testid="log-entry" class=entry.class>{entry.text}</li>
                    </For>
                </ol>
            </main>
        }
    }
}
