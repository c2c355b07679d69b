//! The Yew echo console (`www/yew.html`): `use_websocket` with the JSON codec against the relay's `/echo`.
//! It shows the state, the outbox and the buffered amount as they change; what is typed goes out as a
//! `Note` (queued while disconnected) and comes back decoded; the server field moves the socket.

#[cfg(target_arch = "wasm32")]
mod page {
    use std::collections::VecDeque;
    use std::rc::Rc;

    use duplex_ws_yew::{Error, Json, UseWebSocketOptions, use_websocket};
    use serde::{Deserialize, Serialize};
    use wasm_bindgen::prelude::*;
    use web_sys::HtmlInputElement;
    use yew::prelude::*;

    /// What the console sends and the relay echoes.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Note {
        n: u32,
        text: String,
    }

    /// One line of the log.
    #[derive(Debug, Clone, PartialEq)]
    struct Entry {
        id: u32,
        class: &'static str,
        text: String,
    }

    /// The log, at most [`LOG_LINES`] lines, oldest first.
    #[derive(Debug, Clone, Default, PartialEq)]
    struct Log {
        next: u32,
        entries: VecDeque<Entry>,
    }

    /// How many log lines the page keeps.
    const LOG_LINES: usize = 200;

    impl Reducible for Log {
        type Action = (&'static str, String);

        fn reduce(self: Rc<Self>, (class, text): Self::Action) -> Rc<Self> {
            let mut log = Rc::unwrap_or_clone(self);
            if log.entries.len() >= LOG_LINES {
                log.entries.pop_front();
            }
            log.entries.push_back(Entry {
                id: log.next,
                class,
                text,
            });
            log.next = log.next.wrapping_add(1);
            Rc::new(log)
        }
    }

    #[wasm_bindgen(start)]
    pub fn start() {
        yew::Renderer::<Console>::new().render();
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

    /// The text of the input that fired `event`.
    fn input_value(event: &InputEvent) -> String {
        event
            .target_dyn_into::<HtmlInputElement>()
            .map(|input| input.value())
            .unwrap_or_default()
    }

    #[function_component]
    fn Console() -> Html {
        let server = use_state(default_server);
        let field = use_state(|| (*server).clone());
        let draft = use_state(String::new);
        let log = use_reducer(Log::default);
        let push = {
            let log = log.dispatcher();
            move |class: &'static str, text: String| log.dispatch((class, text))
        };
        let socket = use_websocket((*server).clone(), {
            let (on_message, on_decode_error) = (push.clone(), push.clone());
            let (on_open, on_close) = (push.clone(), push.clone());
            UseWebSocketOptions::with_codec(Json::<Note>::new())
                .recent(0)
                .on_message(move |note: &Note| on_message("received", note.text.clone()))
                .on_decode_error(move |_, error| {
                    on_decode_error("error", format!("not a note: {error}"))
                })
                .on_open(move || on_open("info", "open".to_owned()))
                .on_close(move |info| on_close("info", format!("closed: {info}")))
        });

        let send = {
            let (socket, draft, push) = (socket.clone(), draft.clone(), push.clone());
            let next = log.next;
            Callback::from(move |event: SubmitEvent| {
                event.prevent_default();
                let note = Note {
                    n: next,
                    text: (*draft).clone(),
                };
                match socket.send(&note) {
                    Ok(_) => push("sent", note.text),
                    Err(error) => push("error", error.to_string()),
                }
                draft.set(String::new());
            })
        };
        let report = {
            let push = push.clone();
            move |done: Result<(), Error>| {
                if let Err(error) = done {
                    push("error", error.to_string());
                }
            }
        };
        let disconnect = {
            let (socket, report) = (socket.clone(), report.clone());
            Callback::from(move |_: MouseEvent| report(socket.close_with(1000, "bye")))
        };
        let reconnect = {
            let socket = socket.clone();
            Callback::from(move |_: MouseEvent| report(socket.reconnect()))
        };
        let move_to = {
            let (server, field, push) = (server.clone(), field.clone(), push.clone());
            Callback::from(move |event: SubmitEvent| {
                event.prevent_default();
                push("info", format!("moving to {}", *field));
                server.set((*field).clone());
            })
        };
        let on_field = {
            let field = field.clone();
            Callback::from(move |event: InputEvent| field.set(input_value(&event)))
        };
        let on_draft = {
            let draft = draft.clone();
            Callback::from(move |event: InputEvent| draft.set(input_value(&event)))
        };
        let state = socket.state().to_string();
        let state_name = state
            .split([' ', ':'])
            .next()
            .unwrap_or_default()
            .to_owned();

        html! {
            <main>
                <header>
                    <h1>{ "duplex-ws " }<span>{ "yew echo" }</span></h1>
                    <nav><a href="../">{ "chat" }</a>{ " · " }<a href="echo.html">{ "echo" }</a>{ " · " }<a href="leptos.html">{ "leptos" }</a></nav>
                    <p class="state">
                        { "State " }
                        <output id="status" data-testid="status" data-state={state_name}>{ state }</output>
                        { " · outbox " }<output data-testid="outbox">{ socket.queued() }</output>
                        { " · buffered " }<output data-testid="buffered">{ socket.buffered_amount() }</output>{ " B" }
                    </p>
                </header>
                <form class="row" onsubmit={move_to}>
                    <label for="url">{ "Server" }</label>
                    <input id="url" data-testid="url" type="url" required=true spellcheck="false"
                        value={(*field).clone()} oninput={on_field}/>
                    <button data-testid="move">{ "Move" }</button>
                    <button type="button" data-testid="disconnect" onclick={disconnect}>{ "Disconnect" }</button>
                    <button type="button" data-testid="reconnect" onclick={reconnect}>{ "Reconnect" }</button>
                </form>
                <form class="row" onsubmit={send}>
                    <label for="message-input">{ "Message" }</label>
                    <input id="message-input" data-testid="message-input" autocomplete="off"
                        placeholder="Type and press Enter" value={(*draft).clone()} oninput={on_draft}/>
                    <button data-testid="send">{ "Send" }</button>
                </form>
                <ol id="log" data-testid="log" aria-live="polite">
                    { for log.entries.iter().map(|entry| html! {
                        <li key={entry.id} data-testid="log-entry" class={entry.class}>{ &entry.text }</li>
                    }) }
                </ol>
            </main>
        }
    }
}
